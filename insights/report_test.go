package insights_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

var (
	update     = flag.Bool("update", false, "rewrite testdata/report.golden.json")
	rescanFlag = flag.Bool("rescan", false, "rescan testdata/scan.json from testdata/report-fleet.yaml through the simulated account")
)

// reportNow is when the golden report is built.
var reportNow = time.Date(2026, 11, 21, 6, 30, 0, 0, time.UTC)

// loadScan reads testdata/scan.json: the scan result of
// testdata/report-fleet.yaml, as the real engine produced it from the
// simulated account (rescanned with -rescan).
func loadScan(t testing.TB) *scanner.Result {
	t.Helper()
	b, err := os.ReadFile("testdata/scan.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := scanner.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func rescan(t *testing.T) {
	spec, err := os.ReadFile("testdata/report-fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := scanFleet(t, buildFleet(t, string(spec)), []string{"111111111111"}, []string{"us-east-1", "eu-west-1", "ap-east-1"})
	// Wall-clock times would change every rescan.
	res.StartedAt, res.FinishedAt = simtest.Now, simtest.Now.Add(42*time.Second)
	var buf bytes.Buffer
	if err := res.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/scan.json", buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReportGolden pins the report's JSON: every field of
// docs/report.md, for a scan of the simulated account.
func TestReportGolden(t *testing.T) {
	if *rescanFlag {
		rescan(t)
	}
	rep, err := insights.Build(loadScan(t), insights.Options{Now: reportNow})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/report.golden.json"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("report differs from %s (go test ./insights -run ReportGolden -update to accept):\n%s", golden, firstDiff(buf.String(), string(want)))
	}
	// It reads back.
	back, err := insights.DecodeReport(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Insights) != len(rep.Insights) || back.Summary.Invocations.Value == nil {
		t.Errorf("decoded report lost data")
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			return "line " + itoa(i+1) + ":\n got: " + g[i] + "\nwant: " + w[i]
		}
	}
	return "lengths differ"
}

func itoa(i int) string {
	b := []byte{}
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// TestReportOrder: insights by severity, then reliability before cost
// before lifecycle, then impact, then key (docs/report.md).
func TestReportOrder(t *testing.T) {
	rep, err := insights.Build(loadScan(t), insights.Options{Now: reportNow})
	if err != nil {
		t.Fatal(err)
	}
	rank := map[insights.Severity]int{insights.Critical: 0, insights.Warning: 1, insights.Info: 2}
	class := func(kind string) int {
		switch kind {
		case "cost-spike", "memory-overprovisioned", "arm64-candidate", "provisioned-concurrency-idle":
			return 1
		case "deprecated-runtime":
			return 2
		}
		return 0
	}
	for i := 1; i < len(rep.Insights); i++ {
		a, b := rep.Insights[i-1], rep.Insights[i]
		ka := []float64{float64(rank[a.Severity]), float64(class(a.Kind)), -a.ImpactUSD}
		kb := []float64{float64(rank[b.Severity]), float64(class(b.Kind)), -b.ImpactUSD}
		if c := slices.Compare(ka, kb); c > 0 || (c == 0 && a.Key > b.Key) {
			t.Errorf("%s (%s, $%v) before %s (%s, $%v)", a.Key, a.Severity, a.ImpactUSD, b.Key, b.Severity, b.ImpactUSD)
		}
	}
	if rep.Counts.Critical+rep.Counts.Warning+rep.Counts.Info != len(rep.Insights) {
		t.Errorf("counts %+v for %d insights", rep.Counts, len(rep.Insights))
	}
}

func TestDecodeReportRefusesOtherVersions(t *testing.T) {
	for _, doc := range []string{`{"schema": "lambdaudit/report", "version": 2}`, `{"schema": "lambdaudit/scan", "version": 1}`} {
		if _, err := insights.DecodeReport(strings.NewReader(doc)); !errors.Is(err, insights.ErrReportSchema) {
			t.Errorf("%s: %v", doc, err)
		}
	}
}
