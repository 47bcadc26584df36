package notifytest

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/scanner/scantest"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// The digest's report fixtures: each fleet spec is scanned from the
// simulated account through the real engine and turned into a report,
// stored as JSON and rebuilt with -rescan.
var reportFixtures = []struct {
	spec, report string
	accounts     []string
	regions      []string
}{
	{"testdata/slack-fleet.yaml", "testdata/slack-report.json",
		[]string{"111111111111", "222222222222", "333333333333"}, []string{"us-east-1", "eu-west-1", "ap-east-1"}},
	{"testdata/slack-fleet-big.yaml", "testdata/slack-report-big.json.gz",
		[]string{"111111111111", "222222222222"}, []string{"us-east-1", "eu-west-1"}},
}

// fixtureNow is when the fixtures' reports are built.
var fixtureNow = time.Date(2026, 11, 21, 6, 30, 0, 0, time.UTC)

// LoadReport decodes a report fixture (gzipped when its name ends in
// .gz).
func LoadReport(t testing.TB, path string) *insights.Report {
	t.Helper()
	f, err := os.Open(Path(path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rd io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		rd = zr
	}
	r, err := insights.DecodeReport(rd)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func writeFixture(t *testing.T, specPath, out string, accounts, regions []string) {
	t.Helper()
	f := BuildFleet(t, Path(specPath))
	res := scanFleet(t, f, accounts, regions)
	// Wall-clock times would change every rescan.
	res.StartedAt, res.FinishedAt = simtest.Now, simtest.Now.Add(42*time.Second)
	rep, err := insights.Build(res, insights.Options{Now: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if strings.HasSuffix(out, ".gz") {
		zw, _ = gzip.NewWriterLevel(&buf, gzip.BestCompression)
		w = zw
	}
	if err := rep.Encode(w); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(Path(out), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// scanFleet serves a fleet from the simulated account and scans it
// through the real engine, with Logs Insights queries that finish at once.
func scanFleet(t testing.TB, f *fleet.Fleet, accounts, regions []string) *scanner.Result {
	t.Helper()
	env := simtest.StartFleet(t, f, sim.WithQueryTime(sim.QueryTime{Base: time.Millisecond}))
	return scantest.Scan(t, env, scanner.Targets{Accounts: accounts, Regions: regions, Role: scantest.MemberRole},
		scanner.Settings{Logs: true, Tags: true})
}

// ExampleReport is the Example tests' small report, as insights.Build
// makes them.
func ExampleReport() *insights.Report {
	ptr := func(v float64) *float64 { return &v }
	fig := func(v, base float64, n int) insights.Figure {
		ch := v - base
		return insights.Figure{Value: ptr(v), Baseline: ptr(base), Change: ptr(ch), ChangeRatio: ptr(ch / base), Functions: n}
	}
	return &insights.Report{
		Schema: insights.ReportSchema, Version: insights.ReportVersion,
		GeneratedAt: time.Date(2026, 11, 21, 6, 30, 0, 0, time.UTC), ReportDay: "2026-11-20",
		Scan: insights.ScanInfo{StartedAt: time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 11, 21, 6, 0, 12, 0, time.UTC),
			CostUSD: 0.0042, Calls: 31, MetricsRequested: 840, LogsQueries: 3, LogsBytesScanned: 2.1e9},
		Coverage: insights.Coverage{Targets: 2, Listed: 120, Scanned: 120, Invoked: 112, Idle: 8},
		Summary: insights.Summary{
			Health: fig(0.9991, 0.9996, 112), Invocations: fig(1.2e6, 1.1e6, 112), Errors: fig(1080, 440, 112),
			ColdStarts: fig(5200, 5100, 112), CostUSD: fig(21.4, 18.9, 112), ProjectedMonthUSD: fig(641.2, 585.9, 112),
		},
		TopFunctions: []insights.FunctionCost{
			{ID: "111111111111/us-east-1/checkout-api", Account: "111111111111", Region: "us-east-1", Name: "checkout-api",
				CostUSD: 6.12, BaselineUSD: ptr(5.95), ProjectedMonthUSD: ptr(184.3)},
		},
		CostMovers: []insights.CostMover{
			{ID: "111111111111/eu-west-1/pdf-render", Account: "111111111111", Region: "eu-west-1", Name: "pdf-render",
				CostUSD: 3.83, BaselineUSD: ptr(1.24), ChangeUSD: 2.59, Ratio: ptr(3.09)},
		},
		Insights: []insights.Insight{
			{Key: "111111111111/us-east-1/checkout-api/near-timeout", Kind: "near-timeout", Severity: insights.Critical,
				Account: "111111111111", Region: "us-east-1", Function: "checkout-api",
				Title:  "near timeout: 5.8 s of 6 s (max), p99 4.1 s",
				Action: "Find what the slowest invocations wait on, or raise the timeout with headroom."},
			{Key: "111111111111/eu-west-1/<!channel>/cold-starts", Kind: "cold-starts", Severity: insights.Warning,
				Account: "111111111111", Region: "eu-west-1", Function: "<!channel>",
				Title:  "cold starts: 410 of 2,000 invocations (20.5 %), p95 init 1.2 s",
				Action: "Trim the INIT phase or keep environments warm."},
		},
		Counts: insights.Counts{Critical: 1, Warning: 1},
	}
}

// BuildFleet builds the fleet of a spec file at simtest.Now, failing the
// test if it cannot.
func BuildFleet(t testing.TB, path string) *fleet.Fleet {
	t.Helper()
	spec, err := fleet.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fleet.Build(spec, simtest.Now)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
