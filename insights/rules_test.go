package insights

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// Synthetic scan results for the rules' unit tests: a 15-day window
// ending 2026-11-21, one account-region, functions that are healthy
// unless a case changes them.

var testEnd = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

const testDays = 15

// flat is a series with v every day.
func flat(v float64) metrics.Series {
	s := make(metrics.Series, testDays)
	for i := range s {
		x := v
		s[i] = &x
	}
	return s
}

// nulls is a series without data.
func nulls() metrics.Series { return make(metrics.Series, testDays) }

// withLast sets the report day's value (nil: no datapoint).
func withLast(s metrics.Series, v *float64) metrics.Series {
	s = slices.Clone(s)
	s[len(s)-1] = v
	return s
}

func testFunction(name string, mods ...func(*scanner.Function)) scanner.Function {
	f := scanner.Function{ID: "111111111111/us-east-1/" + name, Account: "111111111111", Region: "us-east-1", Name: name,
		ARN: "arn:aws:lambda:us-east-1:111111111111:function:" + name, Runtime: "nodejs24.x", Architecture: "arm64",
		PackageType: "Zip", MemoryMB: 1024, TimeoutS: 10, EphemeralMB: 512, LastModified: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		LogGroup: "/aws/lambda/" + name, LogFormat: "Text", Status: scanner.StatusScanned,
		Metrics: map[string]metrics.Series{
			metrics.InvocationsSum: flat(1000), metrics.ErrorsSum: flat(0), metrics.ThrottlesSum: nulls(),
			metrics.DurationSum: flat(200000), metrics.DurationMaximum: flat(500), metrics.DurationP99: flat(400),
			metrics.ConcurrentExecutionsMaximum: flat(2),
		},
		Logs: &logstats.Stats{LogGroup: "/aws/lambda/" + name, Invocations: flat(1000), ColdStarts: flat(0), Timeouts: flat(0),
			OutOfMemory: flat(0), MemoryMaxMB: flat(600), MemoryP99MB: flat(550), InitP95Ms: nulls(), InitTotalMs: flat(0),
			BilledDurationMs: flat(200500)},
	}
	for _, m := range mods {
		m(&f)
	}
	return f
}

func testResult(fns ...scanner.Function) *scanner.Result {
	limit := 1000
	res := &scanner.Result{Schema: scanner.Schema, Version: scanner.SchemaVersion,
		StartedAt: testEnd.Add(6 * time.Hour), FinishedAt: testEnd.Add(6*time.Hour + time.Minute),
		Window: metrics.Window{End: testEnd, Days: testDays},
		Targets: []scanner.Target{{Account: "111111111111", Region: "us-east-1", Status: scanner.StatusOK, Functions: len(fns),
			ConcurrencyLimit: &limit, UnreservedConcurrencyLimit: &limit,
			Metrics: map[string]metrics.Series{metrics.ConcurrentExecutionsMaximum: flat(20)}}},
		Functions: fns,
		Logs:      scanner.LogsUsage{Queries: 1},
	}
	for i := range res.Functions {
		switch {
		case res.Functions[i].Status == scanner.StatusFailed:
			res.Coverage.Failed++
		case len(res.Functions[i].Failures) > 0:
			res.Functions[i].Status = scanner.StatusPartial
			res.Coverage.Partial++
		default:
			res.Coverage.Scanned++
		}
	}
	res.Coverage.Targets, res.Coverage.Listed = 1, len(fns)
	return res
}

func fp(v float64) *float64 { return &v }

func mustBuild(t *testing.T, res *scanner.Result, opt Options) *Report {
	t.Helper()
	rep, err := Build(res, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// kinds are the report's insights as "function/kind/severity".
func kinds(rep *Report) []string {
	var out []string
	for _, in := range rep.Insights {
		fn := in.Function
		if fn == "" {
			fn = "*"
		}
		out = append(out, fn+"/"+in.Kind+"/"+string(in.Severity))
	}
	slices.Sort(out)
	return out
}

// missingOf are the reasons rules could not run for a function, as
// "rule: reason".
func missingOf(rep *Report, id string) []string {
	var out []string
	for _, m := range rep.Missing {
		if slices.Contains(m.IDs, id) {
			for _, r := range m.Rules {
				out = append(out, r+": "+m.Reason)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestHealthyFunctionHasNoInsight(t *testing.T) {
	rep := mustBuild(t, testResult(testFunction("api")), Options{})
	if len(rep.Insights) != 0 || len(rep.Missing) != 0 {
		t.Fatalf("insights %v, missing %+v", kinds(rep), rep.Missing)
	}
}

// TestMissingData: a rule whose data the scan did not get produces no
// insight, and the report says which rule and why; no data is not zero.
func TestMissingData(t *testing.T) {
	logRules := []string{KindTimeouts, KindMemoryNearLimit, KindMemoryOverprovisioned, KindColdStarts}
	each := func(rules []string, why string) []string {
		var out []string
		for _, r := range rules {
			out = append(out, r+": "+why)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name    string
		mod     func(*scanner.Function)
		res     func(*scanner.Result)
		want    []string // insights
		missing []string
	}{
		{name: "function failed to scan: only the configuration's rule runs",
			mod: func(f *scanner.Function) {
				f.Runtime, f.Metrics, f.Logs, f.Status = "python3.8", nil, nil, scanner.StatusFailed
				f.Failures = []scanner.Failure{{Stage: "metrics", Reason: "throttled after 3 attempts"}}
			},
			want: []string{"fn/deprecated-runtime/critical"},
			missing: each([]string{KindNearTimeout, KindTimeouts, KindMemoryNearLimit, KindMemoryOverprovisioned, KindColdStarts,
				KindCostSpike, KindErrorRate, KindThrottles, KindIteratorAge, KindAsyncFailures, KindProvisionedIdle, KindRecursiveLoop},
				"function not scanned: throttled after 3 attempts")},
		{name: "metrics failed: the logs' rules still run",
			mod: func(f *scanner.Function) {
				f.Metrics = nil
				f.Failures = []scanner.Failure{{Stage: "metrics", Reason: "AccessDenied: no cloudwatch:GetMetricData"}}
				f.Logs.Timeouts = withLast(f.Logs.Timeouts, fp(2))
			},
			want: []string{"fn/timeouts/warning"},
			missing: each([]string{KindNearTimeout, KindErrorRate, KindThrottles, KindIteratorAge, KindAsyncFailures, KindProvisionedIdle, KindRecursiveLoop},
				"metrics: AccessDenied: no cloudwatch:GetMetricData")},
		{name: "logs over budget",
			mod: func(f *scanner.Function) {
				f.Logs = nil
				f.Failures = []scanner.Failure{{Stage: "logs", Reason: "log budget"}}
			},
			missing: each(logRules, "logs: log budget"),
		},
		{name: "logs over budget, LambdaInsights covers memory and cold starts",
			mod: func(f *scanner.Function) {
				f.Logs = nil
				f.Failures = []scanner.Failure{{Stage: "logs", Reason: "log budget"}}
				f.LambdaInsights = true
				f.Metrics[metrics.UsedMemoryMaxMaximum] = flat(1000)
				f.Metrics[metrics.InitDurationSampleCount] = flat(80)
				f.Metrics[metrics.InitDurationP95] = flat(400)
				f.Metrics[metrics.InitDurationSum] = flat(80 * 300)
			},
			want:    []string{"fn/cold-starts/warning", "fn/memory-near-limit/critical"},
			missing: []string{"timeouts: logs: log budget"},
		},
		{name: "shared log group",
			mod:     func(f *scanner.Function) { f.Logs.SharedLogGroup = true },
			missing: each(logRules, "shared log group: its REPORT figures are the group's, not the function's (/aws/lambda/fn)"),
		},
		{name: "a scan without logs",
			mod:     func(f *scanner.Function) { f.Logs = nil },
			res:     func(r *scanner.Result) { r.Logs = scanner.LogsUsage{} },
			missing: each(logRules, "logs not queried in this scan"),
		},
		{name: "no invocations on the report day",
			mod: func(f *scanner.Function) {
				for _, k := range []string{metrics.InvocationsSum, metrics.ErrorsSum, metrics.DurationSum, metrics.DurationMaximum, metrics.DurationP99} {
					f.Metrics[k] = withLast(f.Metrics[k], nil)
				}
				for _, s := range []*metrics.Series{&f.Logs.Invocations, &f.Logs.ColdStarts, &f.Logs.Timeouts, &f.Logs.OutOfMemory, &f.Logs.MemoryMaxMB, &f.Logs.MemoryP99MB, &f.Logs.InitTotalMs, &f.Logs.BilledDurationMs} {
					*s = withLast(*s, nil)
				}
			},
			missing: each([]string{KindNearTimeout, KindTimeouts, KindMemoryNearLimit, KindColdStarts, KindCostSpike, KindErrorRate}, "no invocations on the report day"),
		},
		{name: "invoked but no REPORT records for the report day",
			mod: func(f *scanner.Function) {
				for _, s := range []*metrics.Series{&f.Logs.Invocations, &f.Logs.ColdStarts, &f.Logs.Timeouts, &f.Logs.MemoryMaxMB} {
					*s = withLast(*s, nil)
				}
			},
			missing: each([]string{KindTimeouts, KindMemoryNearLimit, KindColdStarts}, "no REPORT records on the report day"),
		},
		{name: "invoked but no Duration datapoint",
			mod: func(f *scanner.Function) {
				f.Metrics[metrics.DurationMaximum] = withLast(f.Metrics[metrics.DurationMaximum], nil)
			},
			missing: []string{"near-timeout: no datapoint on the report day (Duration:Maximum)"},
		},
		{name: "throttles without a datapoint are none",
			mod: func(f *scanner.Function) { f.Metrics[metrics.ThrottlesSum] = nulls() },
		},
		{name: "throttles with invocations",
			mod:  func(f *scanner.Function) { f.Metrics[metrics.ThrottlesSum] = withLast(nulls(), fp(200)) },
			want: []string{"fn/throttles/critical"},
		},
		{name: "all throttled: no Invocations datapoint, yet a throttles critical",
			mod: func(f *scanner.Function) {
				f.Metrics[metrics.ThrottlesSum] = withLast(nulls(), fp(50))
				f.Metrics[metrics.InvocationsSum] = withLast(f.Metrics[metrics.InvocationsSum], nil)
				f.Metrics[metrics.DurationMaximum] = withLast(f.Metrics[metrics.DurationMaximum], nil)
				f.Metrics[metrics.DurationSum] = withLast(f.Metrics[metrics.DurationSum], nil)
				f.Logs.Invocations = withLast(f.Logs.Invocations, nil)
				f.Logs.Timeouts = withLast(f.Logs.Timeouts, nil)
				f.Logs.ColdStarts = withLast(f.Logs.ColdStarts, nil)
				f.Logs.MemoryMaxMB = withLast(f.Logs.MemoryMaxMB, nil)
				f.Logs.BilledDurationMs = withLast(f.Logs.BilledDurationMs, nil)
			},
			want:    []string{"fn/throttles/critical"},
			missing: each([]string{KindNearTimeout, KindTimeouts, KindMemoryNearLimit, KindColdStarts, KindCostSpike, KindErrorRate}, "no invocations on the report day"),
		},
		{name: "optional metrics absent: not a stream consumer, nothing missing",
			mod: func(f *scanner.Function) {},
		},
		{name: "optional metrics not discovered",
			mod: func(f *scanner.Function) {
				f.Failures = []scanner.Failure{{Stage: "metrics", Reason: "optional metrics not discovered: ListMetrics throttled"}}
			},
			missing: each([]string{KindIteratorAge, KindAsyncFailures, KindProvisionedIdle, KindRecursiveLoop}, "metrics: optional metrics not discovered: ListMetrics throttled"),
		},
		{name: "iterator age without a datapoint on an invoked day",
			mod:     func(f *scanner.Function) { f.Metrics[metrics.IteratorAgeMaximum] = withLast(flat(60000), nil) },
			missing: []string{"iterator-age: no datapoint on the report day (IteratorAge:Maximum)"},
		},
		{name: "provisioned concurrency not read",
			mod: func(f *scanner.Function) {
				f.Metrics[metrics.ProvisionedConcurrencyUtilizationMaximum] = flat(0.3)
				f.Failures = []scanner.Failure{{Stage: "config", Reason: "provisioned concurrency: throttled"}}
			},
			missing: []string{"provisioned-concurrency-idle: provisioned concurrency not read: provisioned concurrency: throttled"},
		},
		{name: "runtime not in the table",
			mod:     func(f *scanner.Function) { f.Runtime = "nodejs30.x" },
			missing: []string{"deprecated-runtime: runtime not in the runtime table (nodejs30.x; table as of " + Runtimes().AsOf + ")"},
		},
		{name: "a container image has no runtime to deprecate",
			mod: func(f *scanner.Function) { f.Runtime, f.PackageType = "", "Image" },
		},
		{name: "unpriced region: cost rules cannot run, the others do",
			mod: func(f *scanner.Function) {
				f.Region, f.ID = "mars-north-1", "111111111111/mars-north-1/fn"
				f.Metrics[metrics.DurationMaximum] = flat(9800)
			},
			res: func(r *scanner.Result) {
				r.Targets[0].Region = "mars-north-1"
			},
			want:    []string{"fn/near-timeout/critical"},
			missing: []string{"cost-spike: no cost figures: no price for mars-north-1 arm64 in the price table (as of " + cost.Embedded().AsOf + ")"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testFunction("fn", tt.mod)
			res := testResult(f)
			if tt.res != nil {
				tt.res(res)
			}
			rep := mustBuild(t, res, Options{})
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if got := kinds(rep); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("insights %v, want %v", got, want)
			}
			wantMissing := slices.Clone(tt.missing)
			slices.Sort(wantMissing)
			if got := missingOf(rep, f.ID); strings.Join(got, "\n") != strings.Join(wantMissing, "\n") {
				t.Errorf("missing\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantMissing, "\n"))
			}
		})
	}
}

func TestValidateScan(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*scanner.Result)
		want string
	}{
		{"valid", func(*scanner.Result) {}, ""},
		{"unknown version", func(r *scanner.Result) { r.Version = 2 }, "version 2"},
		{"another schema", func(r *scanner.Result) { r.Schema = "lambdaudit/report" }, `schema "lambdaudit/report"`},
		{"memory 0", func(r *scanner.Result) { r.Functions[0].MemoryMB = 0 }, "functions[0] (111111111111/us-east-1/fn).memoryMB: must be at least 128 MB (Lambda's minimum), got 0"},
		{"timeout 0", func(r *scanner.Result) { r.Functions[0].TimeoutS = 0 }, "timeoutS"},
		{"negative count", func(r *scanner.Result) {
			r.Functions[0].Metrics[metrics.InvocationsSum] = withLast(flat(10), fp(-3))
		}, `metrics["Invocations:Sum"][14]: impossible value -3`},
		{"negative log count", func(r *scanner.Result) { r.Functions[0].Logs.ColdStarts = withLast(flat(0), fp(-1)) }, "logs.coldStarts[14]"},
		{"infinite value", func(r *scanner.Result) {
			r.Functions[0].Metrics[metrics.DurationMaximum] = withLast(flat(1), fp(math.Inf(1)))
		}, `metrics["Duration:Maximum"][14]`},
		{"short series", func(r *scanner.Result) { r.Functions[0].Metrics[metrics.ErrorsSum] = flat(0)[:3] }, "has 3 days, the window 15"},
		{"negative limit", func(r *scanner.Result) { n := -1; r.Targets[0].ConcurrencyLimit = &n }, "targets[0] (111111111111/us-east-1).concurrencyLimit"},
		{"negative provisioned concurrency", func(r *scanner.Result) { n := -2; r.Functions[0].ProvisionedConcurrency = &n }, "provisionedConcurrency"},
		{"id not matching", func(r *scanner.Result) { r.Functions[0].Name = "other" }, ".id: must be account/region/name"},
		{"listed twice", func(r *scanner.Result) { r.Functions = append(r.Functions, r.Functions[0]) }, "listed twice"},
		{"bad window", func(r *scanner.Result) { r.Window.Days = 0 }, "window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := testResult(testFunction("fn"))
			tt.mod(res)
			_, err := Build(res, Options{})
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one naming %q", err, tt.want)
			}
			var se *ScanError
			if err != nil && !errors.As(err, &se) {
				t.Errorf("%v is not a *ScanError", err)
			}
			if tt.name == "unknown version" && !errors.Is(err, scanner.ErrSchema) {
				t.Errorf("%v does not wrap scanner.ErrSchema", err)
			}
		})
	}
	if _, err := Build(nil, Options{}); err == nil {
		t.Error("nil result accepted")
	}
}

// TestRegionRules: the account-region's rules and what stops them.
func TestRegionRules(t *testing.T) {
	spiking := func(f *scanner.Function) {
		// ×4 invocations on the report day, at $2.7 a day before.
		f.Metrics[metrics.InvocationsSum] = withLast(flat(200000), fp(800000))
		f.Metrics[metrics.DurationSum] = withLast(flat(2e8), fp(8e8))
		f.Logs.Invocations = withLast(flat(200000), fp(800000))
		f.Logs.BilledDurationMs = withLast(flat(2e8), fp(8e8))
	}
	tests := []struct {
		name    string
		fns     []scanner.Function
		mod     func(*scanner.Result)
		want    []string
		missing []string // for the account-region
	}{
		{name: "a spike drives the region's total",
			fns:  []scanner.Function{testFunction("big", spiking), testFunction("small")},
			want: []string{"*/cost-spike/warning", "big/cost-spike/warning"}},
		{name: "concurrency at 90 %",
			fns:  []scanner.Function{testFunction("api")},
			mod:  func(r *scanner.Result) { r.Targets[0].Metrics[metrics.ConcurrentExecutionsMaximum] = flat(900) },
			want: []string{"*/concurrency-near-limit/critical"}},
		{name: "a function without cost makes the total incomplete",
			fns: []scanner.Function{testFunction("big", spiking), testFunction("broken", func(f *scanner.Function) {
				f.Metrics, f.Logs, f.Status = nil, nil, scanner.StatusFailed
				f.Failures = []scanner.Failure{{Stage: "metrics", Reason: "throttled"}}
			})},
			want:    []string{"big/cost-spike/warning"},
			missing: []string{"cost-spike: region total incomplete: no cost figures for 1 function"}},
		{name: "no account settings",
			fns:     []scanner.Function{testFunction("api")},
			mod:     func(r *scanner.Result) { r.Targets[0].ConcurrencyLimit = nil },
			missing: []string{"concurrency-near-limit: account settings (concurrency limit) not read"}},
		{name: "region metrics not fetched",
			fns: []scanner.Function{testFunction("api")},
			mod: func(r *scanner.Result) {
				r.Targets[0].Metrics = nil
				r.Targets[0].Error = "region metrics: throttled"
			},
			missing: []string{"concurrency-near-limit: region metrics not fetched: region metrics: throttled"}},
		{name: "target failed",
			fns: nil,
			mod: func(r *scanner.Result) {
				r.Targets[0].Status, r.Targets[0].Error = "failed", "access denied"
			},
			missing: []string{"concurrency-near-limit: account-region not scanned: access denied", "cost-spike: account-region not scanned: access denied"}},
		{name: "an empty region is not missing anything",
			fns: nil},
		{name: "ignored in the config",
			fns: []scanner.Function{testFunction("api")},
			mod: func(r *scanner.Result) { r.Targets[0].Metrics[metrics.ConcurrentExecutionsMaximum] = flat(990) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := testResult(tt.fns...)
			if tt.mod != nil {
				tt.mod(res)
			}
			opt := Options{}
			if tt.name == "ignored in the config" {
				cfg, err := ParseConfig([]byte("ignore: [concurrency-near-limit]\n"))
				if err != nil {
					t.Fatal(err)
				}
				opt.Config = cfg
			}
			rep := mustBuild(t, res, opt)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if got := kinds(rep); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("insights %v, want %v", got, want)
			}
			if got := missingOf(rep, "111111111111/us-east-1"); strings.Join(got, "\n") != strings.Join(tt.missing, "\n") {
				t.Errorf("missing %q, want %q", got, tt.missing)
			}
		})
	}
}
