package insights_test

import (
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/scanner/scantest"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// scanFleet serves a fleet from the simulated account and scans it
// through the real engine (SDK clients, rate limiters, GetMetricData,
// Logs Insights), with Logs Insights queries that finish at once.
func scanFleet(t testing.TB, f *fleet.Fleet, accounts, regions []string) *scanner.Result {
	t.Helper()
	env := simtest.StartFleet(t, f, sim.WithQueryTime(sim.QueryTime{Base: time.Millisecond}))
	return scantest.Scan(t, env, scanner.Targets{Accounts: accounts, Regions: regions, Role: scantest.MemberRole},
		scanner.Settings{Logs: true, Tags: true})
}

// buildFleet parses and builds a spec at simtest.Now.
func buildFleet(t testing.TB, spec string) *fleet.Fleet {
	t.Helper()
	s, err := fleet.Parse([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	f, err := fleet.Build(s, simtest.Now)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
