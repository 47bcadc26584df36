package notify

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
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

// TestReportFixtures rebuilds the report fixtures with -rescan, and
// checks that each decodes as a report.
func TestReportFixtures(t *testing.T) {
	for _, fx := range reportFixtures {
		t.Run(filepath.Base(fx.report), func(t *testing.T) {
			if *rescan {
				writeFixture(t, fx.spec, fx.report, fx.accounts, fx.regions)
			}
			r := loadReport(t, fx.report)
			if len(r.Insights) == 0 {
				t.Fatalf("%s: no insights", fx.report)
			}
		})
	}
}

// loadReport decodes a report fixture (gzipped when its name ends in
// .gz).
func loadReport(t testing.TB, path string) *insights.Report {
	t.Helper()
	f, err := os.Open(path)
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
	b, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := fleet.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fleet.Build(spec, simtest.Now)
	if err != nil {
		t.Fatal(err)
	}
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
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
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
