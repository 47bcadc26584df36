package insights_test

import (
	"context"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/scanner"
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
	ls, err := fanout.NewLimiters(fanout.DefaultQuotas(), fanout.LimitersConfig{})
	if err != nil {
		t.Fatal(err)
	}
	meter := scanner.NewMeter()
	sess, err := scanner.NewSessions(env.Config, scanner.Targets{Accounts: accounts, Regions: regions, Role: "lambdaudit-member"},
		scanner.APIOptions(ls, meter))
	if err != nil {
		t.Fatal(err)
	}
	set := scanner.Settings{Logs: true, Tags: true, RetryDelay: 10 * time.Millisecond}
	set.LogsSettings.InitialPoll = 5 * time.Millisecond
	s, err := scanner.New(sess, meter, nil, nil, set, func() time.Time { return simtest.Now })
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
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
