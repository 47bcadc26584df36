package fanout_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/lambdaudit/lambdaudit/fanout"
)

func TestQuotasBucket(t *testing.T) {
	q := fanout.DefaultQuotas()
	withDefault := fanout.Quotas{"Lambda:*": 15, "*": 3}
	tests := []struct {
		name    string
		q       fanout.Quotas
		svc, op string
		bucket  string
		quota   float64
	}{
		{"operation of its own", q, "Lambda", "GetFunction", "Lambda:GetFunction", 100},
		{"shared control-plane bucket", q, "Lambda", "ListFunctions", "Lambda:*", 15},
		{"shared control-plane bucket, other op", q, "Lambda", "GetAccountSettings", "Lambda:*", 15},
		{"service with a space", q, "CloudWatch Logs", "StartQuery", "CloudWatch Logs:StartQuery", 5},
		{"service fallback", q, "CloudWatch Logs", "StopQuery", "CloudWatch Logs:*", 5},
		{"unknown API is unlimited", q, "CloudWatch", "PutMetricData", "CloudWatch:PutMetricData", 0},
		{"unknown service is unlimited", q, "SQS", "SendMessage", "SQS:SendMessage", 0},
		{"explicit default", withDefault, "SQS", "SendMessage", "*", 3},
		{"service bucket before the default", withDefault, "Lambda", "ListFunctions", "Lambda:*", 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, v := tt.q.Bucket(tt.svc, tt.op)
			if b != tt.bucket || v != tt.quota {
				t.Errorf("Bucket(%q, %q) = %q, %v; want %q, %v", tt.svc, tt.op, b, v, tt.bucket, tt.quota)
			}
		})
	}
}

func TestQuotasValidate(t *testing.T) {
	tests := []struct {
		name string
		q    fanout.Quotas
		want string
	}{
		{"defaults", fanout.DefaultQuotas(), ""},
		{"zero exempts an API", fanout.Quotas{"Lambda:*": 15, "Lambda:Invoke": 0}, ""},
		{"no colon", fanout.Quotas{"Lambda": 15}, `quota "Lambda": want`},
		{"empty service", fanout.Quotas{":GetFunction": 15}, `quota ":GetFunction"`},
		{"negative", fanout.Quotas{"Lambda:*": -1}, `quota "Lambda:*": rate -1`},
		{"NaN", fanout.Quotas{"STS:*": nan()}, `quota "STS:*": rate NaN`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.q.Validate()
			if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
			if _, err2 := fanout.NewLimiters(tt.q, fanout.LimitersConfig{}); (err2 == nil) != (err == nil) {
				t.Errorf("NewLimiters = %v, Validate = %v", err2, err)
			}
		})
	}
}

func nan() float64 { var z float64; return z / z }

func TestLimitersFor(t *testing.T) {
	ls, err := fanout.NewLimiters(fanout.DefaultQuotas(), fanout.LimitersConfig{})
	if err != nil {
		t.Fatal(err)
	}
	a := ls.For("1", "us-east-1", "Lambda", "ListFunctions")
	if a == nil || a.Rate() != 12 {
		t.Fatalf("Lambda ListFunctions limiter %v, want one at 0.8 × 15 = 12/s", a)
	}
	if b := ls.For("1", "us-east-1", "Lambda", "GetAccountSettings"); b != a {
		t.Error("ListFunctions and GetAccountSettings do not share the Lambda:* limiter")
	}
	if c := ls.For("1", "us-east-1", "Lambda", "GetFunction"); c == a || c.Rate() != 80 {
		t.Error("GetFunction does not have its own limiter at 80/s")
	}
	if d := ls.For("1", "eu-west-1", "Lambda", "ListFunctions"); d == a {
		t.Error("two regions share a limiter")
	}
	if e := ls.For("2", "us-east-1", "Lambda", "ListFunctions"); e == a {
		t.Error("two accounts share a limiter")
	}
	if ls.For("1", "us-east-1", "SQS", "SendMessage") != nil {
		t.Error("an API without a quota got a limiter")
	}
	if n := len(ls.Stats().Buckets); n != 4 {
		t.Errorf("%d buckets, want 4", n)
	}
	for _, cfg := range []fanout.LimitersConfig{{Fraction: 1.5}, {Fraction: -0.1}, {Burst: -1}, {AIMD: fanout.AIMD{Decrease: 2}}} {
		if _, err := fanout.NewLimiters(fanout.DefaultQuotas(), cfg); err == nil {
			t.Errorf("NewLimiters(%+v): no error", cfg)
		}
	}
}

// TestMiddlewareOrder checks the placement in the stack: right after the
// SDK's Retry middleware, so every attempt passes through the limiter.
func TestMiddlewareOrder(t *testing.T) {
	ls, _ := fanout.NewLimiters(fanout.DefaultQuotas(), fanout.LimitersConfig{})
	noop := func(id string) middleware.FinalizeMiddleware {
		return middleware.FinalizeMiddlewareFunc(id, func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			return next.HandleFinalize(ctx, in)
		})
	}
	st := middleware.NewStack("op", smithyhttp.NewStackRequest)
	st.Finalize.Add(noop("Retry"), middleware.After)
	st.Finalize.Add(noop("Signing"), middleware.After)
	if err := ls.Middleware("1", "us-east-1")(st); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(st.Finalize.List()); got != "[Retry "+fanout.MiddlewareID+" Signing]" {
		t.Errorf("finalize step %s, want the limiter right after Retry", got)
	}
	bare := middleware.NewStack("op", smithyhttp.NewStackRequest)
	if err := ls.Middleware("1", "us-east-1")(bare); err == nil || !strings.Contains(err.Error(), "Retry") {
		t.Errorf("a stack without Retry: %v, want an error naming Retry", err)
	}
}
