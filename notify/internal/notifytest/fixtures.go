package notifytest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/scanner/scantest"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// dir is this package's directory: the fixtures several notify packages'
// tests share are under its testdata/.
var dir = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}()

// Path is where a shared fixture is: path (testdata/…) under
// notify/internal/notifytest, whichever package's test asks.
func Path(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

const (
	csvFleetPath = "testdata/csv-fleet.yaml"
	csvScanPath  = "testdata/csv-scan.json"
)

// Golden compares got with a golden file, rewriting it with -update.
func Golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with -update if the change is meant):\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant %q\n got %q", i+1, a, b)
		}
	}
	return "(no line differs)"
}

// HostileReport names functions and errors the way an attacker who can
// create functions or tag them would.
func HostileReport(t *testing.T) *insights.Report {
	r := LoadReport(t, "testdata/slack-report.json")
	names := []string{"<!channel>", "<https://evil.example|click>", "<@U0ADMIN> & <!here>", "a`b*c_d~e", "\x1b[31mred\x1b[0m\u202eevil"}
	for i := range names {
		r.Insights[i].Function = names[i]
		r.Insights[i].Title = "near timeout of " + names[i]
	}
	r.TopFunctions[0].Name = "<!everyone>"
	r.CostMovers[0].Name = "<#C0GENERAL>"
	r.Coverage.FailedTargets = append(r.Coverage.FailedTargets, insights.FailedTarget{Account: "444444444444", Region: "eu-north-1",
		Error: "AccessDenied: <https://evil.example|reset your password> <!subteam^S0ADMINS>"})
	r.ConfigProblems = []insights.ConfigProblem{{Function: "f", Tag: "lambdaudit:ignore", Value: "<!channel>", Problem: "unknown rule"}}
	return r
}

// csvNow is when the fixture's report is built.
var csvNow = time.Date(2026, 11, 21, 6, 30, 0, 0, time.UTC)

// csvFaults deny account 222222222222's CloudWatch and Logs calls in
// us-east-1: its function is listed and has no data.
var csvFaults = []sim.Fault{
	{Service: "monitoring", Account: "222222222222", Region: "us-east-1", AccessDenied: true},
	{Service: "logs", Account: "222222222222", Region: "us-east-1", AccessDenied: true},
}

// CSVFixture is the scan of testdata/csv-fleet.yaml with its costs and
// report. -rescan rescans the fleet from the simulated account through
// the real engine into testdata/csv-scan.json.
func CSVFixture(t testing.TB) (*scanner.Result, *cost.Costs, *insights.Report) {
	t.Helper()
	if *Rescan {
		csvRescan(t)
	}
	b, err := os.ReadFile(Path(csvScanPath))
	if err != nil {
		t.Fatal(err)
	}
	res, err := scanner.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	costs, rep := CSVCostsReport(t, res)
	return res, costs, rep
}

func CSVCostsReport(t testing.TB, res *scanner.Result) (*cost.Costs, *insights.Report) {
	t.Helper()
	costs, err := cost.Model(res, cost.Embedded(), cost.Options{Now: csvNow})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := insights.Build(res, insights.Options{Now: csvNow})
	if err != nil {
		t.Fatal(err)
	}
	return costs, rep
}

func csvRescan(t testing.TB) {
	t.Helper()
	f := BuildFleet(t, Path(csvFleetPath))
	env := simtest.StartFleet(t, f, sim.WithQueryTime(sim.QueryTime{Base: time.Millisecond}), sim.WithFaults(csvFaults...))
	res := scantest.Scan(t, env, scanner.Targets{Accounts: []string{"111111111111", "222222222222"},
		Regions: []string{"us-east-1", "eu-west-1"}, Role: scantest.MemberRole}, scanner.Settings{Logs: true, Tags: true})
	// Wall-clock times would change every rescan.
	res.StartedAt, res.FinishedAt = simtest.Now, simtest.Now.Add(42*time.Second)
	var buf bytes.Buffer
	if err := res.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(Path(csvScanPath), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

const OpsgenieKey = "0c1f5e2a-7b1d-4c9e-9a33-5ec7e7d0k3y9"
