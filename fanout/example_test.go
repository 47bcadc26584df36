package fanout_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdaudit/lambdaudit/fanout"
)

// Pack 1,201 GetMetricData queries into calls of at most 500 queries and
// 100,800 datapoints: ceil(1201/500) = 3 calls.
func ExamplePack() {
	type query struct {
		id         string
		datapoints int
	}
	var qs []query
	for i := range 1201 {
		qs = append(qs, query{fmt.Sprintf("q%d", i), 15})
	}
	calls, err := fanout.Pack(qs, []int{500, 100800}, func(q query) []int { return []int{1, q.datapoints} })
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range calls {
		fmt.Println(len(c), "queries from", c[0].id)
	}
	// Output:
	// 500 queries from q0
	// 500 queries from q500
	// 201 queries from q1000
}

// Run units through a pool: one succeeds, one is denied (permanent), one
// is of a kind no handler knows. Every item ends done or failed with a
// reason.
func ExamplePool() {
	ctx := context.Background()
	ledger := fanout.NewLedger()
	handlers := fanout.Mux{
		"metrics": func(ctx context.Context, u fanout.Unit) error {
			if u.Account == "222222222222" {
				return fanout.Permanent(errors.New("AccessDenied"))
			}
			return nil
		},
	}
	pool, err := fanout.NewPool(fanout.NewMemory(), handlers.Handle, ledger, fanout.Config{Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, x := range []struct{ account, kind, fn string }{
		{"111111111111", "metrics", "api"}, {"222222222222", "metrics", "billing"}, {"111111111111", "traces", "worker"},
	} {
		u, err := fanout.NewUnit(x.account, "us-east-1", x.kind, []string{x.account + "/us-east-1/" + x.fn}, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := pool.Submit(ctx, u); err != nil {
			fmt.Println(err)
			return
		}
	}
	pool.CloseInput()
	if err := pool.Run(ctx); err != nil {
		fmt.Println(err)
		return
	}
	cov := ledger.Snapshot()
	fmt.Printf("items: %d done, %d failed of %d\n", cov.Items.Done, cov.Items.Failed, cov.Items.Total)
	for _, f := range cov.Failures {
		fmt.Printf("%s: %s (%d attempt)\n", f.Item, f.Reason, f.Attempts)
	}
	// Output:
	// items: 1 done, 2 failed of 3
	// 111111111111/us-east-1/worker: fanout: unknown unit kind "traces" (1 attempt)
	// 222222222222/us-east-1/billing: AccessDenied (1 attempt)
}

// Limit every call a Lambda client makes in one account and region to
// 0.8 of AWS's quotas, adapting to throttles.
func ExampleLimiters_Middleware() {
	limiters, err := fanout.NewLimiters(fanout.DefaultQuotas(), fanout.LimitersConfig{Fraction: 0.8})
	if err != nil {
		fmt.Println(err)
		return
	}
	var cfg aws.Config // from config.LoadDefaultConfig
	client := lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		o.APIOptions = append(o.APIOptions, limiters.Middleware("111111111111", "us-east-1"))
	})
	_ = client
	// Later, for the progress display:
	st := limiters.Stats()
	fmt.Println("throttles absorbed:", st.Throttles, "waited:", st.Waited.Round(time.Second))
	// Output:
	// throttles absorbed: 0 waited: 0s
}
