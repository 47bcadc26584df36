package insights

import (
	"slices"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// TestOneCauseOneFinding: a function's timeouts are one finding, not one
// per rule that sees them (docs/report.md, "One cause, one finding").
func TestOneCauseOneFinding(t *testing.T) {
	// timedOut: n of the report day's inv invocations timed out (REPORT
	// status), errors of them errors in CloudWatch, the slowest ran to
	// the 10 s timeout.
	timedOut := func(inv, n, errors float64) func(*scanner.Function) {
		return func(f *scanner.Function) {
			f.Metrics[metrics.InvocationsSum] = withLast(flat(inv), fp(inv))
			f.Metrics[metrics.ErrorsSum] = withLast(flat(0), fp(errors))
			f.Metrics[metrics.DurationMaximum] = withLast(flat(500), fp(10000))
			f.Logs.Invocations = withLast(flat(inv), fp(inv))
			f.Logs.Timeouts = withLast(flat(0), fp(n))
		}
	}
	cases := []struct {
		name string
		fn   func(*scanner.Function)
		// want are the function's insights as kind/severity.
		want []string
		// evidence the timeouts finding must carry (none: no timeouts).
		evidence []string
		title    []string
	}{
		{name: "all errors are timeouts: one critical timeouts, not error-rate too",
			fn:       timedOut(1600, 160, 160),
			want:     []string{"timeouts/critical"},
			evidence: []string{"near-timeout.maxDurationMs", "error-rate.errors", "error-rate.worstDayShare", "timeoutShareOfErrors"},
			title:    []string{"timeouts: 10 % of the invocations timed out", "errors 10 % on 2026-11-20 (100 % of them timeouts)"}},
		{name: "nearly all errors are timeouts (90 %)",
			fn:       timedOut(1600, 144, 160),
			want:     []string{"timeouts/critical"},
			evidence: []string{"error-rate.errors", "timeoutShareOfErrors"},
			title:    []string{"(90 % of them timeouts)"}},
		{name: "errors mostly of another cause keep their finding",
			fn:       timedOut(1600, 143, 160),
			want:     []string{"error-rate/critical", "timeouts/warning"},
			evidence: []string{"near-timeout.maxDurationMs"}},
		{name: "2 timeouts in 1,500: one warning, near-timeout folded in",
			fn:       timedOut(1500, 2, 2),
			want:     []string{"timeouts/warning"},
			evidence: []string{"near-timeout.maxDurationMs", "near-timeout.shareOfTimeout"},
			title:    []string{"timeouts: 2 of 1,500 invocations timed out at 10 s on the report day"}},
		{name: "near timeout without a timeout stays near-timeout",
			fn: func(f *scanner.Function) {
				f.Metrics[metrics.DurationMaximum] = withLast(flat(500), fp(9600))
			},
			want: []string{"near-timeout/critical"}},
		{name: "timeouts ignored: near-timeout and error-rate stand",
			fn: func(f *scanner.Function) {
				timedOut(1600, 160, 160)(f)
				f.Tags = map[string]string{"lambdaudit:ignore": "timeouts"}
			},
			want: []string{"error-rate/critical", "near-timeout/critical"}},
		{name: "no logs: near-timeout and error-rate stand",
			fn: func(f *scanner.Function) {
				timedOut(1600, 160, 160)(f)
				f.Logs = nil
				f.Failures = []scanner.Failure{{Stage: scanner.StageLogs, Reason: "over the log budget"}}
			},
			want: []string{"error-rate/critical", "near-timeout/critical"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := mustBuild(t, testResult(testFunction("api", tc.fn)), Options{})
			var got []string
			var to *Insight
			for i := range rep.Insights {
				in := &rep.Insights[i]
				got = append(got, in.Kind+"/"+string(in.Severity))
				if in.Kind == KindTimeouts {
					to = in
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("insights %v, want %v", got, tc.want)
			}
			if len(tc.evidence)+len(tc.title) == 0 {
				return
			}
			if to.Key != "111111111111/us-east-1/api/timeouts" {
				t.Errorf("key %q: the folded finding keeps the timeouts key", to.Key)
			}
			for _, name := range tc.evidence {
				if !slices.ContainsFunc(to.Evidence, func(e Evidence) bool { return e.Name == name }) {
					t.Errorf("no evidence %q in %+v", name, to.Evidence)
				}
			}
			for _, s := range tc.title {
				if !strings.Contains(to.Title, s) {
					t.Errorf("title %q lacks %q", to.Title, s)
				}
			}
			if rep.Counts.Critical+rep.Counts.Warning+rep.Counts.Info != len(rep.Insights) {
				t.Errorf("counts %+v for %d insights", rep.Counts, len(rep.Insights))
			}
		})
	}
}

// TestReliabilityRanksAheadOfCost: within a severity a function failing
// its callers comes before money, whatever the dollars, and a deprecated
// runtime after both.
func TestReliabilityRanksAheadOfCost(t *testing.T) {
	ins := []Insight{
		{Key: "a/r/rt/deprecated-runtime", Kind: KindDeprecatedRuntime, Severity: Critical, ImpactUSD: 9000},
		{Key: "a/r/spike/cost-spike", Kind: KindCostSpike, Severity: Critical, ImpactUSD: 5000},
		{Key: "a/r/w/throttles", Kind: KindThrottles, Severity: Warning, ImpactUSD: 99999},
		{Key: "a/r/small/timeouts", Kind: KindTimeouts, Severity: Critical, ImpactUSD: 3},
		{Key: "a/r/big/error-rate", Kind: KindErrorRate, Severity: Critical, ImpactUSD: 40},
		{Key: "a/r/arm/arm64-candidate", Kind: KindARM64Candidate, Severity: Info, ImpactUSD: 10},
		{Key: "a/r/pc/provisioned-concurrency-idle", Kind: KindProvisionedIdle, Severity: Info, ImpactUSD: 1},
	}
	sortInsights(ins)
	var got []string
	for _, in := range ins {
		got = append(got, in.Key)
	}
	want := []string{"a/r/big/error-rate", "a/r/small/timeouts", "a/r/spike/cost-spike", "a/r/rt/deprecated-runtime",
		"a/r/w/throttles", "a/r/arm/arm64-candidate", "a/r/pc/provisioned-concurrency-idle"}
	if !slices.Equal(got, want) {
		t.Errorf("order\n got %v\nwant %v", got, want)
	}
}
