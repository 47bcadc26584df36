package insights_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// boundaryRuntimes date the boundary fleet's runtimes around its scan
// day, 2026-11-21: past, today, tomorrow, in exactly 180 days, in 181.
var boundaryRuntimes = map[string]rtDate{
	"nodejs24.x": {date("2028-04-30"), true},
	"python3.8":  {date("2024-10-14"), true},
	"ruby3.3":    {date("2026-11-21"), true},
	"python3.11": {date("2026-11-22"), true},
	"ruby3.2":    {date("2027-05-20"), true},
	"python3.10": {date("2027-05-21"), true},
	"go1.x":      {date("2024-01-08"), false},
}

func runtimeTable(t *testing.T, m map[string]rtDate) *insights.RuntimeTable {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"asOf": "2026-11-01", "source": "test", "runtimes": [`)
	first := true
	for id, r := range m {
		if !first {
			b.WriteString(",")
		}
		first = false
		arm := "false"
		if r.arm64 {
			arm = "true"
		}
		b.WriteString(`{"id": "` + id + `", "name": "` + id + `", "deprecation": "` + r.deprecation.Format(time.DateOnly) + `", "arm64": ` + arm + `}`)
	}
	b.WriteString("]}")
	rt, err := insights.ParseRuntimes([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// TestAccuracyBoundaries scans the hand-written fleet of
// testdata/boundaries.yaml through the real engine and checks every
// insight against the ground truth, and each named case against the
// severity written here.
func TestAccuracyBoundaries(t *testing.T) {
	spec, err := os.ReadFile("testdata/boundaries.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := buildFleet(t, string(spec))
	res := scanFleet(t, f, []string{"111111111111"}, []string{"us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-1"})
	if res.Failed() {
		t.Fatalf("scan failed: %+v", res.Coverage)
	}
	rep, err := insights.Build(res, insights.Options{Now: simtest.Now, Runtimes: runtimeTable(t, boundaryRuntimes)})
	if err != nil {
		t.Fatal(err)
	}
	x := newExpectation(f.Truth(simtest.Now), boundaryRuntimes)
	logAccuracy(t, x.compare(t, rep))

	const fn = "111111111111/us-east-1/"
	got := map[string]insights.Severity{}
	for _, in := range rep.Insights {
		got[in.Key] = in.Severity
	}
	named := []struct {
		key  string
		want insights.Severity // "" = no insight
	}{
		{fn + "nt-warn-below/near-timeout", ""},
		{fn + "nt-warn-at/near-timeout", insights.Warning},
		{fn + "nt-crit-below/near-timeout", insights.Warning},
		{fn + "nt-crit-at/near-timeout", insights.Critical},
		{fn + "nt-crit-above/near-timeout", insights.Critical},
		{fn + "to-warn-at/timeouts", insights.Warning},
		{fn + "to-crit-below/timeouts", insights.Warning},
		{fn + "to-crit-at/timeouts", insights.Critical},
		{fn + "to-crit-earlier/timeouts", insights.Critical},
		{fn + "to-crit-outside/timeouts", ""},
		// one cause, one finding: a timed-out function's near-timeout and
		// (when its errors are its timeouts) error-rate fold into timeouts
		{fn + "to-warn-at/near-timeout", ""},
		{fn + "to-crit-at/near-timeout", ""},
		{fn + "to-crit-at/error-rate", ""},
		{fn + "mn-warn-below/memory-near-limit", ""},
		{fn + "mn-warn-at/memory-near-limit", insights.Warning},
		{fn + "mn-crit-below/memory-near-limit", insights.Warning},
		{fn + "mn-crit-at/memory-near-limit", insights.Critical},
		{fn + "mn-oom/memory-near-limit", insights.Critical},
		{fn + "mo-used-at/memory-overprovisioned", insights.Info},
		{fn + "mo-used-above/memory-overprovisioned", ""},
		{fn + "mo-inv-at/memory-overprovisioned", insights.Info},
		{fn + "mo-inv-below/memory-overprovisioned", ""},
		{fn + "mo-mem-128/memory-overprovisioned", ""},
		{fn + "mo-memory-changed/memory-overprovisioned", insights.Info},
		{fn + "cs-share-below/cold-starts", ""},
		{fn + "cs-share-at/cold-starts", insights.Warning},
		{fn + "cs-p95-below/cold-starts", ""},
		{fn + "cs-p95-at/cold-starts", insights.Warning},
		{fn + "cs-inv-below/cold-starts", ""},
		{fn + "cs-inv-at/cold-starts", insights.Warning},
		{fn + "sp-warn-below/cost-spike", ""},
		{fn + "sp-warn-at/cost-spike", insights.Warning},
		{fn + "sp-usd-below/cost-spike", ""},
		{fn + "sp-usd-above/cost-spike", insights.Warning},
		{fn + "sp-crit-below/cost-spike", insights.Warning},
		{fn + "sp-crit-at/cost-spike", insights.Critical},
		{fn + "sp-crit-usd-below/cost-spike", insights.Warning},
		{fn + "sp-duration/cost-spike", insights.Warning},
		{fn + "sp-memory/cost-spike", insights.Warning},
		{fn + "sp-memory/memory-overprovisioned", insights.Info},
		{"111111111111/us-east-1/*/cost-spike", insights.Warning},
		{fn + "er-warn-below/error-rate", ""},
		{fn + "er-warn-at/error-rate", insights.Warning},
		{fn + "er-warn-count-below/error-rate", ""},
		{fn + "er-crit-below/error-rate", insights.Warning},
		{fn + "er-crit-at/error-rate", insights.Critical},
		{fn + "er-crit-earlier/error-rate", insights.Critical},
		{fn + "th-count-below/throttles", ""},
		{fn + "th-warn-below/throttles", ""},
		{fn + "th-warn-at/throttles", insights.Warning},
		{fn + "th-crit-below/throttles", insights.Warning},
		{fn + "th-crit-at/throttles", insights.Critical},
		{fn + "dr-past/deprecated-runtime", insights.Critical},
		{fn + "dr-today/deprecated-runtime", insights.Critical},
		{fn + "dr-tomorrow/deprecated-runtime", insights.Warning},
		{fn + "dr-warn-at/deprecated-runtime", insights.Warning},
		{fn + "dr-warn-above/deprecated-runtime", ""},
		{fn + "a64-below/arm64-candidate", ""},
		{fn + "a64-above/arm64-candidate", insights.Info},
		{fn + "a64-init/arm64-candidate", insights.Info},
		{fn + "a64-image/arm64-candidate", ""},
		{fn + "a64-go/arm64-candidate", ""},
		{fn + "ia-warn-below/iterator-age", ""},
		{fn + "ia-warn-at/iterator-age", insights.Warning},
		{fn + "ia-crit-below/iterator-age", insights.Warning},
		{fn + "ia-crit-at/iterator-age", insights.Critical},
		{fn + "af-below/async-failures", ""},
		{fn + "af-dropped-at/async-failures", insights.Warning},
		{fn + "af-dlq-at/async-failures", insights.Warning},
		{fn + "af-dest-at/async-failures", insights.Warning},
		{fn + "pc-util-at/provisioned-concurrency-idle", ""},
		{fn + "pc-util-below/provisioned-concurrency-idle", insights.Info},
		{fn + "pc-util-low/provisioned-concurrency-idle", insights.Info},
		{fn + "rl-at/recursive-loop", insights.Warning},
		{fn + "created-yesterday/near-timeout", insights.Critical},
		{fn + "created-yesterday/cost-spike", ""},
		{"111111111111/eu-west-1/*/concurrency-near-limit", ""},
		{"111111111111/us-west-2/*/concurrency-near-limit", insights.Warning},
		{"111111111111/eu-central-1/*/concurrency-near-limit", insights.Warning},
		{"111111111111/ap-southeast-1/*/concurrency-near-limit", insights.Critical},
	}
	for _, c := range named {
		if got[c.key] != c.want {
			t.Errorf("%s: %q, want %q", c.key, got[c.key], c.want)
		}
	}
	// Cost spikes name what moved.
	for name, driver := range map[string]string{"sp-warn-at": "driver: invocations ×2.0", "sp-duration": "driver: duration ×3.0",
		"sp-memory": "driver: memory 1,024 → 3,008 MB"} {
		found := false
		for _, in := range rep.Insights {
			if in.Key == fn+name+"/cost-spike" {
				found = true
				if !strings.Contains(in.Title, driver) {
					t.Errorf("%s: %q does not say %q", name, in.Title, driver)
				}
			}
		}
		if !found {
			t.Errorf("%s: no cost-spike", name)
		}
	}
	// Functions without data for a rule are listed, never read as zero.
	for _, c := range []struct{ id, reason, rule string }{
		{fn + "zero-invocations", "no invocations on the report day", "near-timeout"},
		{fn + "zero-invocations", "no invocations on the report day", "memory-near-limit"},
		{fn + "idle-report-day", "no invocations on the report day", "near-timeout"},
		{fn + "idle-report-day", "no invocations on the report day", "cost-spike"},
		{fn + "created-yesterday", "cost baseline too short: 0 of 7 days with cost figures (need 3)", "cost-spike"},
	} {
		if !listed(rep, c.id, c.reason, c.rule) {
			t.Errorf("%s: %s not listed as missing (%s)", c.id, c.rule, c.reason)
		}
	}
	for _, in := range rep.Insights {
		if strings.Contains(in.Key, "/zero-invocations/") || strings.Contains(in.Key, "/healthy/") {
			t.Errorf("insight about %s: %s", in.Key, in.Title)
		}
	}
}

func listed(rep *insights.Report, id, reason, rule string) bool {
	for _, m := range rep.Missing {
		if m.Reason != reason {
			continue
		}
		hasRule := false
		for _, r := range m.Rules {
			hasRule = hasRule || r == rule
		}
		for _, x := range m.IDs {
			if x == id && hasRule {
				return true
			}
		}
	}
	return false
}

// generatorRuntimes are the runtimes the generator draws (AWS's dates).
var generatorRuntimes = map[string]rtDate{
	"nodejs24.x": {date("2028-04-30"), true}, "python3.13": {date("2029-06-30"), true}, "python3.14": {date("2029-06-30"), true},
	"java21": {date("2029-06-30"), true}, "ruby3.4": {date("2028-03-31"), true}, "provided.al2023": {date("2029-06-30"), true},
	"python3.8": {date("2024-10-14"), true}, "nodejs16.x": {date("2024-06-12"), true}, "java8": {date("2024-01-08"), false},
	"go1.x": {date("2024-01-08"), false}, "ruby2.7": {date("2023-11-27"), true},
}

// TestAccuracyGenerated scans a generated fleet of 2,000 functions over
// two accounts and two regions with every anomaly of the generator's mix
// (1 % of the functions each, a quarter of the account-regions near the
// concurrency limit) and checks every insight against the ground truth.
func TestAccuracyGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("scans 2,000 functions")
	}
	var mix strings.Builder
	for _, k := range fleet.AnomalyKinds {
		share := "0.01"
		if k == fleet.RegionAnomaly {
			share = "0.25"
		}
		mix.WriteString(k + ": " + share + ", ")
	}
	f := buildFleet(t, `
seed: 20261121
generate:
  functions: 2000
  accounts: ["111111111111", "222222222222"]
  regions: [us-east-1, eu-west-1]
  mix: {`+strings.TrimSuffix(mix.String(), ", ")+`}
`)
	// The truth is computed while the scan runs.
	truth := make(chan *fleet.Truth, 1)
	go func() { truth <- f.Truth(simtest.Now) }()
	res := scanFleet(t, f, []string{"111111111111", "222222222222"}, []string{"us-east-1", "eu-west-1"})
	if res.Failed() {
		t.Fatalf("scan failed: %+v", res.Coverage)
	}
	rep, err := insights.Build(res, insights.Options{Now: simtest.Now})
	if err != nil {
		t.Fatal(err)
	}
	tr := <-truth
	x := newExpectation(tr, generatorRuntimes)
	acc := x.compare(t, rep)
	logAccuracy(t, acc)
	// Every label of the mix shows up as its own insight.
	labels := map[string]int{}
	for _, ft := range tr.Functions {
		if ft.Anomaly != "" {
			labels[ft.Anomaly]++
			key := ft.Account + "/" + ft.Region + "/" + ft.Name + "/" + ft.Anomaly
			if _, ok := x.want[key]; !ok {
				t.Errorf("%s: labelled %s but the truth calls for no such insight", key, ft.Anomaly)
			}
		}
	}
	for _, k := range fleet.AnomalyKinds {
		if k != fleet.RegionAnomaly && labels[k] == 0 {
			t.Errorf("no function labelled %s", k)
		}
		if acc[k] == nil || acc[k].tp == 0 {
			t.Errorf("no %s insight found", k)
		}
	}
	// The spikes name their driver: the generator multiplies invocations.
	for _, in := range rep.Insights {
		if in.Kind == insights.KindCostSpike && in.Function != "" && !strings.Contains(in.Title, "driver: invocations ×") {
			t.Errorf("%s: driver not named as invocations: %s", in.Key, in.Title)
		}
	}
}
