package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

func TestInjectedServerErrorsAreRetried(t *testing.T) {
	q := sim.DefaultQuotas()
	q.LambdaControl = 0 // only the injected errors here
	env := simtest.Start(t, logsSpec, sim.WithSeed(3), sim.WithQuotas(q), sim.WithFaults(sim.Fault{Service: "lambda", ErrorPct: 30}))
	// The standard retryer, with a short back-off so the test is quick.
	c := lambda.NewFromConfig(env.Config, func(o *lambda.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.MaxBackoff = 10 * time.Millisecond; so.MaxAttempts = 6 })
	})
	for i := 0; i < 20; i++ {
		if _, err := c.GetAccountSettings(context.Background(), &lambda.GetAccountSettingsInput{}); err != nil {
			t.Fatalf("call %d: the standard retryer should absorb 30%% of 5xx: %v", i, err)
		}
	}
	got := env.Server.Accounting().API("lambda", "GetAccountSettings")
	if got.ServerErrors == 0 || got.OK != 20 || got.Calls != got.OK+got.ServerErrors {
		t.Fatalf("accounting %+v: want some 5xx, 20 OK, calls = ok + 5xx", got)
	}
}

func TestLatencyMultiplier(t *testing.T) {
	env := simtest.Start(t, logsSpec, sim.WithLatency(sim.Latency{Default: 20 * time.Millisecond}),
		sim.WithFaults(sim.Fault{Service: "lambda", API: "GetAccountSettings", LatencyMultiplier: 5}))
	c := lambda.NewFromConfig(env.Config)
	start := time.Now()
	if _, err := c.GetAccountSettings(context.Background(), &lambda.GetAccountSettingsInput{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("call took %v, want ≥ 100ms (20ms × 5)", d)
	}
}

func TestQueryFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault sim.Fault
		want  types.QueryStatus
	}{
		{"fail", sim.Fault{Service: "logs", QueryFailPct: 100}, types.QueryStatusFailed},
		{"timeout", sim.Fault{Service: "logs", QueryTimeout: true}, types.QueryStatusTimeout},
		{"none", sim.Fault{Service: "lambda", ErrorPct: 100}, types.QueryStatusComplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := simtest.Start(t, logsSpec, sim.WithFaults(tc.fault), sim.WithQueryTime(sim.QueryTime{Base: 10 * time.Millisecond}))
			c := cloudwatchlogs.NewFromConfig(env.Config)
			ctx := context.Background()
			out, err := c.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{LogGroupName: aws.String("/aws/lambda/text-fn"),
				StartTime: aws.Int64(simtest.Now.Add(-time.Hour).Unix()), EndTime: aws.Int64(simtest.Now.Unix()), QueryString: aws.String("stats count(*)")})
			if err != nil {
				t.Fatal(err)
			}
			var st types.QueryStatus
			for i := 0; i < 100; i++ {
				res, err := c.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: out.QueryId})
				if err != nil {
					t.Fatal(err)
				}
				if st = res.Status; st != types.QueryStatusScheduled && st != types.QueryStatusRunning {
					if st != types.QueryStatusComplete && len(res.Results) != 0 {
						t.Errorf("a %s query returned results", st)
					}
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if st != tc.want {
				t.Fatalf("status %s, want %s", st, tc.want)
			}
		})
	}
}

func TestDebugEndpoints(t *testing.T) {
	env := simtest.Start(t, logsSpec)
	if _, err := lambda.NewFromConfig(env.Config).ListFunctions(context.Background(), &lambda.ListFunctionsInput{}); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	code, body := get("/_sim/accounting")
	var snap sim.Snapshot
	if err := json.Unmarshal([]byte(body), &snap); code != 200 || err != nil || snap.API("lambda", "ListFunctions").OK != 1 {
		t.Fatalf("accounting: %d %v %s", code, err, body)
	}
	for _, tc := range []struct {
		name, body string
		code       int
	}{
		{"valid", `[{"service":"monitoring","api":"GetMetricData","throttlePct":20}]`, 200},
		{"out of range", `[{"throttlePct":120}]`, 400},
		{"unknown field", `[{"throttle":1}]`, 400},
		{"unknown service", `[{"service":"s3"}]`, 400},
		{"not true or false", `[{"accessDenied":"yes"}]`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPut, env.URL+"/_sim/faults", strings.NewReader(tc.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Fatalf("PUT faults %s: %d, want %d", tc.body, resp.StatusCode, tc.code)
			}
		})
	}
	if code, body := get("/_sim/faults"); code != 200 || !strings.Contains(body, `"throttlePct": 20`) {
		t.Fatalf("faults after PUT: %d %s", code, body)
	}
	if code, _ := get("/_sim/nope"); code != 404 {
		t.Fatalf("unknown debug path: %d", code)
	}
	resp, err := http.Post(env.URL+"/_sim/accounting/reset", "application/json", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("reset: %v %v", err, resp)
	}
	if n := env.Server.Accounting().Total().Calls; n != 0 {
		t.Fatalf("after reset: %d calls", n)
	}
}

func TestParseFault(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{"service=monitoring,api=GetMetricData,throttlePct=20", ""},
		{"errorPct=2,account=111111111111,region=eu-west-1", ""},
		{"accessDenied=true", ""},
		{"throttlePct=abc", "throttlePct"},
		{"throttlePct=101", "between 0 and 100"},
		{"nope=1", `unknown key "nope"`},
		{"throttlePct", "not key=value"},
		{"service=s3", "unknown service"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := sim.ParseFault(tc.in)
			if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("ParseFault(%q) = %v, want error containing %q", tc.in, err, tc.err)
			}
		})
	}
}
