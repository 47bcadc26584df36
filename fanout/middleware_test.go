package fanout_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

const wireAccount, wireRegion = "111111111111", "us-east-1"

const wireSpec = `
seed: 3
accounts:
  - id: "111111111111"
    regions:
      - name: us-east-1
        functions:
          - name: api
            runtime: nodejs22.x
          - name: worker
            runtime: python3.12
`

// lambdaClient is a real SDK client on the sim whose retryer tries
// attempts times with millisecond back-off and no retry quota, so that
// tests are quick and every throttle is retried; ls == nil means no
// limiter.
func lambdaClient(t *testing.T, env *simtest.Env, ls *fanout.Limiters, attempts int) *lambda.Client {
	return lambda.NewFromConfig(env.Config, func(o *lambda.Options) {
		o.HTTPClient = ownTransport(t)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = attempts
			so.MaxBackoff = 5 * time.Millisecond
			so.RateLimiter = ratelimit.None
		})
		if ls != nil {
			o.APIOptions = append(o.APIOptions, ls.Middleware(wireAccount, wireRegion))
		}
	})
}

// ownTransport is an HTTP client whose connections are closed when the
// test ends, before the sim shuts down: a connection the transport dialed
// but never used would otherwise hold the sim's graceful shutdown for its
// 5 s timeout.
func ownTransport(t *testing.T) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// callLambda makes one control-plane call, alternating between two APIs
// that share the Lambda:* quota.
func callLambda(ctx context.Context, cl *lambda.Client, i int) error {
	if i%2 == 0 {
		_, err := cl.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		return err
	}
	_, err := cl.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	return err
}

// hammer makes n calls from g goroutines and returns how many failed.
func hammer(t *testing.T, cl *lambda.Client, g, n int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var mu sync.Mutex
	failed := 0
	var wg sync.WaitGroup
	next := make(chan int)
	for range g {
		wg.Go(func() {
			for i := range next {
				if err := callLambda(ctx, cl, i); err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return failed
}

// lambdaCounters sums the sim's counters for the two Lambda APIs called.
func lambdaCounters(env *simtest.Env) sim.Counters {
	s := env.Server.Accounting()
	a, b := s.API("lambda", "ListFunctions"), s.API("lambda", "GetAccountSettings")
	return sim.Counters{Calls: a.Calls + b.Calls, Throttled: a.Throttled + b.Throttled}
}

// TestMiddlewareSeesEveryAttempt injects throttles at the sim and checks
// that the limiter saw exactly what the wire carried: every attempt,
// retries included, waited for a token, and every throttled attempt was
// counted — which only holds if the middleware runs after Retry.
func TestMiddlewareSeesEveryAttempt(t *testing.T) {
	env := simtest.Start(t, wireSpec, sim.WithSeed(11), sim.WithQuotas(sim.Quotas{}),
		sim.WithFaults(sim.Fault{Service: "lambda", ThrottlePct: 40}))
	// A long cut interval makes the expected rate exact: one cut.
	ls, err := fanout.NewLimiters(fanout.Quotas{"Lambda:*": 1000}, fanout.LimitersConfig{AIMD: fanout.AIMD{CutInterval: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	failed := hammer(t, lambdaClient(t, env, ls, 3), 8, 60)

	wire := lambdaCounters(env)
	st := ls.Stats()
	if len(st.Buckets) != 1 || st.Buckets[0].Bucket != "Lambda:*" {
		t.Fatalf("buckets %+v, want the one shared Lambda:* bucket", st.Buckets)
	}
	b := st.Buckets[0]
	t.Logf("wire: %d attempts, %d throttled; limiter: %d waits, %d throttles, %d cuts, rate %.0f/%.0f; %d calls failed after 3 attempts",
		wire.Calls, wire.Throttled, b.Waits, b.Throttles, b.Cuts, b.Rate, b.Ceiling, failed)
	if wire.Throttled == 0 || wire.Calls <= 60 {
		t.Fatalf("the fault injected %d throttles over %d attempts; want some, and retries", wire.Throttled, wire.Calls)
	}
	if b.Waits != wire.Calls {
		t.Errorf("limiter granted %d tokens for %d attempts on the wire: not every attempt waited", b.Waits, wire.Calls)
	}
	if b.Throttles != wire.Throttled || st.Throttles != wire.Throttled {
		t.Errorf("limiter saw %d throttles, the wire carried %d", b.Throttles, wire.Throttled)
	}
	// Retried attempts were seen, not only the calls that gave up.
	if b.Throttles <= int64(failed) {
		t.Errorf("limiter saw %d throttles for %d failed calls: retried attempts are missing", b.Throttles, failed)
	}
	if b.Cuts != 1 || b.Ceiling != 800 || b.Rate > b.Ceiling {
		t.Errorf("rate %v of ceiling %v after %d cuts; want one cut (the successes since recover the rate)", b.Rate, b.Ceiling, b.Cuts)
	}

	// An API without a quota goes through unlimited, and is counted.
	cw := cloudwatch.NewFromConfig(env.Config, func(o *cloudwatch.Options) {
		o.HTTPClient = ownTransport(t)
		o.APIOptions = append(o.APIOptions, ls.Middleware(wireAccount, wireRegion))
	})
	if _, err := cw.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{}); err != nil {
		t.Fatal(err)
	}
	if st := ls.Stats(); st.Unlimited != 1 || len(st.Buckets) != 1 {
		t.Errorf("after one unlimited call: %d unlimited, %d buckets; want 1 and 1", st.Unlimited, len(st.Buckets))
	}
}

// TestMiddlewareKeepsUnderQuota hammers the sim's Lambda control plane
// (quota 100/s, burst 10) from 16 goroutines with and without limiters at
// 0.8 of the quota and compares the throttles the sim returned.
func TestMiddlewareKeepsUnderQuota(t *testing.T) {
	const goroutines, calls = 16, 64
	quotas := sim.Quotas{LambdaControl: 100, BurstSeconds: 0.1}
	run := func(limited bool) (sim.Counters, *fanout.Limiters) {
		env := simtest.Start(t, wireSpec, sim.WithQuotas(quotas))
		var ls *fanout.Limiters
		if limited {
			var err error
			// The sim's bucket holds only 0.1 s of rate here, so the
			// limiter's burst is 1 rather than its default second.
			ls, err = fanout.NewLimiters(fanout.Quotas{"Lambda:*": quotas.LambdaControl}, fanout.LimitersConfig{Fraction: 0.8, Burst: 1})
			if err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		failed := hammer(t, lambdaClient(t, env, ls, 3), goroutines, calls)
		c := lambdaCounters(env)
		t.Logf("limited=%v: %d calls in %v: %d attempts, %d throttled, %d failed", limited, calls, time.Since(start).Round(time.Millisecond), c.Calls, c.Throttled, failed)
		return c, ls
	}
	without, _ := run(false)
	with, ls := run(true)
	if without.Throttled < calls/2 {
		t.Fatalf("without a limiter only %d throttles: the test does not hammer", without.Throttled)
	}
	if with.Throttled*10 > without.Throttled {
		t.Errorf("with the limiter %d throttles, without %d: want at least 10× fewer", with.Throttled, without.Throttled)
	}
	if st := ls.Stats(); st.Throttles != with.Throttled {
		t.Errorf("limiter counted %d throttles, the sim returned %d", st.Throttles, with.Throttled)
	}
}

// TestMiddlewareDeadline checks that a call whose token comes after the
// ctx deadline fails at once, without reaching the wire.
func TestMiddlewareDeadline(t *testing.T) {
	env := simtest.Start(t, wireSpec, sim.WithQuotas(sim.Quotas{}))
	// 0.8 × 0.25 = 0.2/s: one token every 5 s.
	ls, err := fanout.NewLimiters(fanout.Quotas{"Lambda:*": 0.25}, fanout.LimitersConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cl := lambdaClient(t, env, ls, 3)
	if err := callLambda(context.Background(), cl, 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = callLambda(ctx, cl, 0)
	if !errors.Is(err, fanout.ErrWouldExceedDeadline) {
		t.Fatalf("second call = %v, want ErrWouldExceedDeadline", err)
	}
	if ctx.Err() != nil {
		t.Error("the call returned only after its deadline")
	}
	if c := lambdaCounters(env); c.Calls != 1 {
		t.Errorf("%d calls reached the sim, want 1", c.Calls)
	}
}
