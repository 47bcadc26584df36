package notifytest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// TestOpsgenieFixture rebuilds the scan with -rescan and checks that it
// still yields alerts of both severities and a failed target.
func TestOpsgenieFixture(t *testing.T) {
	if *Rescan {
		f := BuildFleet(t, ogFleetSpec)
		res := ogScanFleet(t, f)
		// Wall-clock times would change every rescan.
		res.StartedAt, res.FinishedAt = simtest.Now, simtest.Now.Add(42*time.Second)
		var buf bytes.Buffer
		if err := res.Encode(&buf); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(ogScanFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, r := OpsgenieFixture(t)
	if res.Coverage.TargetsFailed == 0 {
		t.Error("fixture: no failed target")
	}
	if r.Counts.Critical == 0 || r.Counts.Warning == 0 || r.Counts.Info == 0 {
		t.Errorf("fixture: want insights of every severity, got %+v", r.Counts)
	}
}

// TestReportFixtures rebuilds the report fixtures with -rescan, and
// checks that each decodes as a report.
func TestReportFixtures(t *testing.T) {
	for _, fx := range reportFixtures {
		t.Run(filepath.Base(fx.report), func(t *testing.T) {
			if *Rescan {
				writeFixture(t, fx.spec, fx.report, fx.accounts, fx.regions)
			}
			r := LoadReport(t, fx.report)
			if len(r.Insights) == 0 {
				t.Fatalf("%s: no insights", fx.report)
			}
		})
	}
}

// TestCSVFixture rebuilds the CSV fixture's scan with -rescan (as every
// CSVFixture call does then), so that go test ./notify/internal/notifytest
// -rescan rebuilds every shared fixture, and checks that it still holds
// a scanned function and one whose data was denied.
func TestCSVFixture(t *testing.T) {
	res, costs, rep := CSVFixture(t)
	if costs == nil || rep == nil {
		t.Fatal("fixture: no costs or report")
	}
	statuses := map[string]int{}
	for _, fn := range res.Functions {
		statuses[fn.Status]++
	}
	if statuses["scanned"] == 0 || statuses["failed"] == 0 {
		t.Errorf("fixture: want scanned and failed functions, got %v", statuses)
	}
}
