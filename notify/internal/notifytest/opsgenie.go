package notifytest

import (
	"os"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/scanner/scantest"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// The Opsgenie fixture: a scan of testdata/opsgenie-fleet.yaml from the
// simulated account through the real engine, stored as JSON (the alerts
// need the scan's coverage and ARNs, not only the report) and rebuilt
// with -rescan.
const (
	ogFleetSpec = "testdata/opsgenie-fleet.yaml"
	ogScanFile  = "testdata/opsgenie-scan.json"
)

var (
	ogFixtureNow      = time.Date(2026, 11, 21, 6, 30, 0, 0, time.UTC)
	ogFixtureAccounts = []string{"111111111111"}
	ogFixtureRegions  = []string{"us-east-1", "eu-west-1", "ap-east-1"}
)

// OpsgenieFixture decodes the fixture's scan and builds its report.
func OpsgenieFixture(t testing.TB) (*scanner.Result, *insights.Report) {
	t.Helper()
	f, err := os.Open(Path(ogScanFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := scanner.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	r, err := insights.Build(res, insights.Options{Now: ogFixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	return res, r
}

// ogScanFleet serves a fleet from the simulated account and scans it
// through the real engine, with Logs Insights queries that finish at once.
func ogScanFleet(t testing.TB, f *fleet.Fleet) *scanner.Result {
	t.Helper()
	env := simtest.StartFleet(t, f, sim.WithQueryTime(sim.QueryTime{Base: time.Millisecond}))
	return scantest.Scan(t, env, scanner.Targets{Accounts: ogFixtureAccounts, Regions: ogFixtureRegions, Role: scantest.MemberRole},
		scanner.Settings{Logs: true, Tags: true})
}
