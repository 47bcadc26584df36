package demo_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdaudit/lambdaudit/demo"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// TestDemo runs the demo end to end on the embedded fleet and checks its
// outputs: every listed function scanned, every insight kind of
// INSIGHTS.md found, and the files written and readable.
func TestDemo(t *testing.T) {
	out := t.TempDir()
	res, err := demo.Run(context.Background(), demo.Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Functions < 1000 || res.Accounts < 2 || res.Regions < 2 {
		t.Errorf("demo fleet: %d functions, %d accounts, %d regions; want ≥ 1000, 2, 2", res.Functions, res.Accounts, res.Regions)
	}
	cv := res.Scan.Coverage
	if cv.Listed != res.Functions || cv.Scanned != res.Functions || cv.TargetsFailed != 0 {
		t.Errorf("coverage %+v: want all %d scanned", cv, res.Functions)
	}
	for _, k := range insights.Kinds {
		if res.Report.Counts.ByKind[k] == 0 {
			t.Errorf("no %s insight in the demo", k)
		}
	}
	if len(res.Report.Missing) != 0 {
		t.Errorf("rules without data in the demo: %+v", res.Report.Missing)
	}
	f, err := os.Open(filepath.Join(out, "scan.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := scanner.Decode(f); err != nil {
		t.Error(err)
	}
	rows, err := csv.NewReader(mustOpen(t, filepath.Join(out, "report.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != res.Functions+1 {
		t.Errorf("report.csv: %d rows, want a header and %d functions", len(rows), res.Functions)
	}
	g, err := os.Open(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := insights.DecodeReport(g); err != nil {
		t.Error(err)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
