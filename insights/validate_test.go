package insights

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// TestOddFunctionsDegradePerFunction: a fleet with functions whose values
// AWS really returns but the rules do not model (a Lambda Managed
// Instances function, an unknown architecture, an unknown runtime,
// ephemeral storage and a timeout beyond the on-demand limits) is still
// reported: the others get their findings, and each odd function's
// affected rules are "not run" with the reason.
func TestOddFunctionsDegradePerFunction(t *testing.T) {
	failing := func(f *scanner.Function) { f.Metrics[metrics.ErrorsSum] = flat(300) } // 30 % errors: critical
	const arn = "arn:aws:lambda:us-east-1:111111111111:capacity-provider:fleet"
	res := testResult(
		testFunction("api", failing, func(f *scanner.Function) { f.Architecture = "x86_64" }),
		testFunction("managed", failing, func(f *scanner.Function) {
			f.CapacityProviderARN, f.MemoryMB, f.TimeoutS = arn, 16384, 3600
			f.Metrics[metrics.DurationMaximum] = flat(3500 * 1000) // 97 % of its real timeout
		}),
		testFunction("riscv", failing, func(f *scanner.Function) { f.Architecture = "riscv64" }),
		testFunction("cobol", failing, func(f *scanner.Function) { f.Runtime = "cobol1.x" }),
		testFunction("bigtmp", func(f *scanner.Function) { f.EphemeralMB = 20480 }),
		testFunction("hugemem", func(f *scanner.Function) { f.MemoryMB = 20480 }),
		testFunction("longrun", func(f *scanner.Function) { f.TimeoutS = 3600 }),
	)
	cfg, err := ParseConfig([]byte("rules: {arm64-candidate: {minMonthlyUSD: 0}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep := mustBuild(t, res, Options{Config: cfg})

	has := func(fn, kind string) bool {
		return slices.ContainsFunc(rep.Insights, func(in Insight) bool { return in.Function == fn && in.Kind == kind })
	}
	for _, fn := range []string{"api", "managed", "riscv", "cobol"} {
		if !has(fn, KindErrorRate) {
			t.Errorf("%s: no error-rate finding; insights %v", fn, kinds(rep))
		}
	}
	if !has("managed", KindNearTimeout) {
		t.Errorf("managed: no near-timeout finding against its 3,600 s timeout; insights %v", kinds(rep))
	}
	if !has("api", KindARM64Candidate) {
		t.Errorf("api: no arm64-candidate finding; insights %v", kinds(rep))
	}

	id := func(name string) string { return "111111111111/us-east-1/" + name }
	costRules := func(why string) []string {
		var out []string
		for _, k := range []string{KindMemoryOverprovisioned, KindCostSpike, KindARM64Candidate, KindProvisionedIdle} {
			out = append(out, k+": "+why)
		}
		return out
	}
	tests := []struct {
		fn   string
		want []string // rule: reason, every entry must be among the function's missing
	}{
		{"managed", costRules("Lambda Managed Instances: billed on EC2 capacity, not modelled")},
		{"riscv", costRules(`architecture not modelled ("riscv64"; modelled: x86_64, arm64)`)},
		{"cobol", []string{"deprecated-runtime: runtime not in the runtime table (cobol1.x; table as of " + Runtimes().AsOf + ")"}},
		{"bigtmp", costRules("ephemeral storage outside the modelled range (20,480 MB; modelled 512 to 10,240 MB)")},
		{"hugemem", costRules("memory outside the modelled range (20,480 MB; modelled up to 10,240 MB)")},
		{"longrun", []string{"near-timeout: timeout above Lambda's documented maximum (3,600 s; the maximum is 900 s)",
			"timeouts: timeout above Lambda's documented maximum (3,600 s; the maximum is 900 s)"}},
		{"api", nil},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			got := missingOf(rep, id(tt.fn))
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %q\ngot\n%s", w, strings.Join(got, "\n"))
				}
			}
			if tt.want == nil && len(got) > 0 {
				t.Errorf("an on-demand function lost rules:\n%s", strings.Join(got, "\n"))
			}
		})
	}

	// Never priced as GB-seconds: no cost figure, in no list.
	for _, fc := range rep.TopFunctions {
		if fc.Name == "managed" || fc.Name == "riscv" {
			t.Errorf("%s priced: %+v", fc.Name, fc)
		}
	}
	if !slices.ContainsFunc(rep.TopFunctions, func(fc FunctionCost) bool { return fc.Name == "api" }) {
		t.Errorf("api not in the top functions: %+v", rep.TopFunctions)
	}
}

// TestManagedInstancesKeepTheRegionTotal: a Managed Instances function
// is billed outside Lambda, so it does not make its region's Lambda cost
// total incomplete (the region's cost-spike rule still runs), unlike a
// function the price table cannot price.
func TestManagedInstancesKeepTheRegionTotal(t *testing.T) {
	tests := []struct {
		name       string
		odd        func(*scanner.Function)
		incomplete bool
	}{
		{"managed instances", func(f *scanner.Function) {
			f.CapacityProviderARN = "arn:aws:lambda:us-east-1:111111111111:capacity-provider:p"
		}, false},
		{"unknown architecture", func(f *scanner.Function) { f.Architecture = "riscv64" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := mustBuild(t, testResult(testFunction("api"), testFunction("odd", tt.odd)), Options{})
			got := missingOf(rep, "111111111111/us-east-1")
			incomplete := slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, whyRegionIncomplete) })
			if incomplete != tt.incomplete {
				t.Errorf("region total incomplete = %v, want %v; missing %v", incomplete, tt.incomplete, got)
			}
		})
	}
}

// TestImpossibleValuesRefused: values no AWS answer holds, as a
// hand-edited or corrupt scan brings them, are refused with the field
// path; values AWS can return are accepted.
func TestImpossibleValuesRefused(t *testing.T) {
	const fn = "functions[0] (111111111111/us-east-1/fn)."
	day := func(v float64) metrics.Series { return withLast(flat(160), fp(v)) }
	tests := []struct {
		name string
		mod  func(*scanner.Function)
		want string // "" = accepted
	}{
		{"more errors than invocations", func(f *scanner.Function) {
			f.Metrics[metrics.InvocationsSum] = flat(160)
			f.Metrics[metrics.ErrorsSum] = day(1600)
		}, fn + `metrics["Errors:Sum"][14]: 1600 errors > 160 invocations`},
		{"errors on a day without invocations", func(f *scanner.Function) {
			f.Metrics[metrics.InvocationsSum] = withLast(flat(160), nil)
			f.Metrics[metrics.ErrorsSum] = day(3)
		}, fn + `metrics["Errors:Sum"][14]: 3 errors > 0 invocations`},
		{"as many errors as invocations", func(f *scanner.Function) {
			f.Metrics[metrics.InvocationsSum] = flat(160)
			f.Metrics[metrics.ErrorsSum] = flat(160)
		}, ""},
		{"more throttles than invocations (throttles are not invocations)", func(f *scanner.Function) {
			f.Metrics[metrics.ThrottlesSum] = day(1e6)
		}, ""},
		{"1e300 invocations", func(f *scanner.Function) { f.Metrics[metrics.InvocationsSum] = day(1e300) },
			fn + `metrics["Invocations:Sum"][14]: impossible count 1e+300`},
		{"a day's count just under the bound", func(f *scanner.Function) {
			f.Metrics[metrics.InvocationsSum] = day(MaxDailyCount)
			f.Logs.Invocations = day(MaxDailyCount)
		}, ""},
		{"a huge duration is not a count", func(f *scanner.Function) { f.Metrics[metrics.DurationSum] = day(1e14) }, ""},
		{"NaN", func(f *scanner.Function) { f.Metrics[metrics.DurationP99] = day(math.NaN()) }, fn + `metrics["Duration:p99"][14]: impossible value NaN`},
		{"series of the wrong length", func(f *scanner.Function) { f.Metrics[metrics.ThrottlesSum] = flat(1)[:14] },
			fn + `metrics["Throttles:Sum"]: has 14 days, the window 15`},
		{"more out-of-memory ends than REPORT records", func(f *scanner.Function) { f.Logs.OutOfMemory = withLast(flat(0), fp(1001)) },
			fn + "logs.outOfMemory[14]: 1001 out-of-memory ends > 1000 invocations"},
		{"a timeout line more than REPORT records (its REPORT fell after midnight)", func(f *scanner.Function) {
			f.Logs.Timeouts = withLast(flat(0), fp(1001))
		}, ""},
		{"more cold starts than REPORT records", func(f *scanner.Function) { f.Logs.ColdStarts = withLast(flat(0), fp(2000)) },
			fn + "logs.coldStarts[14]: 2000 cold starts > 1000 invocations"},
		{"log count beyond the bound", func(f *scanner.Function) { f.Logs.OutOfMemory = withLast(flat(0), fp(1e14)) },
			fn + "logs.outOfMemory[14]: impossible count"},
		{"memory below Lambda's minimum", func(f *scanner.Function) { f.MemoryMB = 64 }, fn + "memoryMB: must be at least 128 MB"},
		{"negative ephemeral storage", func(f *scanner.Function) { f.EphemeralMB = -1 }, fn + "ephemeralMB: must not be negative"},
		{"memory of a Managed Instances function", func(f *scanner.Function) {
			f.CapacityProviderARN, f.MemoryMB, f.TimeoutS = "arn:aws:lambda:us-east-1:111111111111:capacity-provider:p", 32768, 5400
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := testResult(testFunction("fn", tt.mod))
			_, err := Build(res, Options{})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %q", err, tt.want)
			}
			var se *ScanError
			if !errors.As(err, &se) {
				t.Errorf("%v is not a *ScanError", err)
			}
		})
	}
}
