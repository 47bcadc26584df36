package lambdahost_test

import (
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/lambdahost"
)

// TestConfigMaxConcurrency: on a standard queue each worker takes the
// rate fraction divided by the event source mapping's MaximumConcurrency
// (several workers may hold one account-region's units at once); on a
// FIFO queue the group's one worker keeps the whole fraction.
func TestConfigMaxConcurrency(t *testing.T) {
	const fifo, standard = "https://sqs.us-east-1.amazonaws.com/1/q.fifo", "https://sqs.us-east-1.amazonaws.com/1/q"
	for _, tc := range []struct {
		name, handler, queue, maxConc, fraction string
		wantFraction                            float64
		wantErr                                 string
	}{
		{name: "fifo keeps the fraction", handler: "work", queue: fifo, maxConc: "10", wantFraction: 0.9},
		{name: "fifo without the setting", handler: "work", queue: fifo, wantFraction: 0.9},
		{name: "standard divides the default fraction", handler: "work", queue: standard, maxConc: "10", wantFraction: 0.09},
		{name: "standard divides a set fraction", handler: "work", queue: standard, maxConc: "4", fraction: "0.5", wantFraction: 0.125},
		{name: "standard work needs the setting", handler: "work", queue: standard, wantErr: "LAMBDAUDIT_MAX_CONCURRENCY is not set"},
		{name: "standard plan does not", handler: "plan", queue: standard, wantFraction: 0.9},
		{name: "not a number", handler: "work", queue: fifo, maxConc: "ten", wantErr: `LAMBDAUDIT_MAX_CONCURRENCY="ten": want a whole number from 1 to 1000`},
		{name: "zero", handler: "work", queue: fifo, maxConc: "0", wantErr: `LAMBDAUDIT_MAX_CONCURRENCY="0"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := []string{"LAMBDAUDIT_HANDLER=" + tc.handler, "LAMBDAUDIT_STORE=s3://b/p", "LAMBDAUDIT_QUEUE_URL=" + tc.queue, "LAMBDAUDIT_REGIONS=us-east-1"}
			if tc.maxConc != "" {
				env = append(env, "LAMBDAUDIT_MAX_CONCURRENCY="+tc.maxConc)
			}
			if tc.fraction != "" {
				env = append(env, "LAMBDAUDIT_RATE_FRACTION="+tc.fraction)
			}
			c, err := lambdahost.ConfigFromEnv(env, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Scan.Scanner.RateFraction; got < tc.wantFraction-1e-9 || got > tc.wantFraction+1e-9 {
				t.Errorf("rate fraction = %v, want %v", got, tc.wantFraction)
			}
		})
	}
}
