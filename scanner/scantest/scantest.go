// Package scantest owns scanning a simulated account in tests: one call
// runs the real engine — SDK clients, rate limiters at AWS's default
// quotas, GetMetricData and Logs Insights — over a simtest.Env, with the
// short retry and poll intervals tests want.
package scantest

import (
	"context"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// MemberRole is the role the simulated account's member accounts have.
const MemberRole = "lambdaudit-member"

// New builds a scanner over env as cmd/lambdaudit does — limiters at a
// fraction of AWS's default quotas and a meter on every pair's clients —
// at simtest.Now. Zero RetryDelay and LogsSettings.InitialPoll become
// 10 ms and 5 ms; serve the fleet with sim.WithQueryTime small for fast
// Logs Insights queries.
func New(t testing.TB, env *simtest.Env, targets scanner.Targets, set scanner.Settings) (*scanner.Scanner, *scanner.Meter) {
	t.Helper()
	ls, err := fanout.NewLimiters(fanout.DefaultQuotas(), fanout.LimitersConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if set.RetryDelay == 0 {
		set.RetryDelay = 10 * time.Millisecond
	}
	if set.LogsSettings.InitialPoll == 0 {
		set.LogsSettings.InitialPoll = 5 * time.Millisecond
	}
	meter := scanner.NewMeter()
	s, err := scanner.NewFromConfig(env.Config, scanner.Config{},
		scanner.WithTargets(targets), scanner.WithLimiters(ls), scanner.WithMeter(meter),
		scanner.WithClock(func() time.Time { return simtest.Now }),
		scanner.WithSettings(func(s *scanner.Settings) { *s = set }))
	if err != nil {
		t.Fatal(err)
	}
	return s, meter
}

// Scan scans env's targets with set (see New) and fails the test on a
// scan error.
func Scan(t testing.TB, env *simtest.Env, targets scanner.Targets, set scanner.Settings) *scanner.Result {
	t.Helper()
	s, _ := New(t, env, targets, set)
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}
