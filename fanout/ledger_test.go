package fanout_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdaudit/lambdaudit/fanout"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update if the change is intended):\n got: %s\nwant: %s", path, got, want)
	}
}

func TestLedger(t *testing.T) {
	u := func(id string, items ...string) fanout.Unit {
		return fanout.Unit{ID: id, Account: "1", Region: "r", Kind: "metrics", Items: items}
	}
	a, b, c := u("A", "f1", "f2"), u("B", "f2", "f3"), u("C", "f4")
	tests := []struct {
		name         string
		ops          func(l *fanout.Ledger)
		units, items fanout.Counts
		failures     int
	}{
		{"all pending", func(l *fanout.Ledger) { l.Sent(a); l.Sent(b) },
			fanout.Counts{Total: 2, Pending: 2}, fanout.Counts{Total: 3, Pending: 3}, 0},
		// f2 is in A and B: done only when both are.
		{"shared item waits for every unit", func(l *fanout.Ledger) { l.Sent(a); l.Sent(b); l.Done(a) },
			fanout.Counts{Total: 2, Done: 1, Pending: 1}, fanout.Counts{Total: 3, Done: 1, Pending: 2}, 0},
		{"shared item fails with either unit", func(l *fanout.Ledger) { l.Sent(a); l.Sent(b); l.Done(a); l.Failed(b, "throttled", 3) },
			fanout.Counts{Total: 2, Done: 1, Failed: 1}, fanout.Counts{Total: 3, Done: 1, Failed: 2}, 2},
		{"duplicate done is ignored", func(l *fanout.Ledger) { l.Sent(c); l.Done(c); l.Done(c) },
			fanout.Counts{Total: 1, Done: 1}, fanout.Counts{Total: 1, Done: 1}, 0},
		{"failure after done is ignored", func(l *fanout.Ledger) { l.Sent(c); l.Done(c); l.Failed(c, "late duplicate", 1) },
			fanout.Counts{Total: 1, Done: 1}, fanout.Counts{Total: 1, Done: 1}, 0},
		{"done after failure wins", func(l *fanout.Ledger) { l.Sent(c); l.Failed(c, "x", 3); l.Done(c) },
			fanout.Counts{Total: 1, Done: 1}, fanout.Counts{Total: 1, Done: 1}, 0},
		{"done without sent (another process sent it)", func(l *fanout.Ledger) { l.Done(c) },
			fanout.Counts{Total: 1, Done: 1}, fanout.Counts{Total: 1, Done: 1}, 0},
		{"fail pending", func(l *fanout.Ledger) { l.Sent(a); l.Sent(c); l.Done(c); l.FailPending("scan cancelled") },
			fanout.Counts{Total: 2, Done: 1, Failed: 1}, fanout.Counts{Total: 3, Done: 1, Failed: 2}, 2},
		{"done except an item", func(l *fanout.Ledger) {
			l.Sent(a)
			l.DoneExcept(a, map[string]string{"f2": "Forbidden", "f9": "not an item of A", "f1": ""})
		}, fanout.Counts{Total: 1, Done: 1}, fanout.Counts{Total: 2, Done: 1, Failed: 1}, 1},
		{"an item left out by one unit fails though another covered it", func(l *fanout.Ledger) {
			l.Sent(a)
			l.Sent(b)
			l.Done(a)
			l.DoneExcept(b, map[string]string{"f2": "Forbidden"})
		}, fanout.Counts{Total: 2, Done: 2}, fanout.Counts{Total: 3, Done: 2, Failed: 1}, 1},
		{"done except, then a duplicate done changes nothing", func(l *fanout.Ledger) {
			l.Sent(a)
			l.DoneExcept(a, map[string]string{"f2": "Forbidden"})
			l.Done(a)
		}, fanout.Counts{Total: 1, Done: 1}, fanout.Counts{Total: 2, Done: 1, Failed: 1}, 1},
		{"failed, then a duplicate done except", func(l *fanout.Ledger) {
			l.Sent(a)
			l.Failed(a, "x", 3)
			l.DoneExcept(a, map[string]string{"f1": "InternalError"})
		}, fanout.Counts{Total: 1, Done: 1}, fanout.Counts{Total: 2, Done: 1, Failed: 1}, 1},
		{"units without ID are each accounted for", func(l *fanout.Ledger) {
			l.Failed(fanout.Unit{Items: []string{"x"}}, "invalid", 0)
			l.Failed(fanout.Unit{}, "invalid", 0)
		},
			fanout.Counts{Total: 2, Failed: 2}, fanout.Counts{Total: 1, Failed: 1}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := fanout.NewLedger()
			tt.ops(l)
			s := l.Snapshot()
			if s.Units != tt.units || s.Items != tt.items || len(s.Failures) != tt.failures {
				t.Errorf("units %+v items %+v failures %d\nwant units %+v items %+v failures %d", s.Units, s.Items, len(s.Failures), tt.units, tt.items, tt.failures)
			}
			for _, n := range []fanout.Counts{s.Units, s.Items} {
				if n.Done+n.Failed+n.Pending != n.Total {
					t.Errorf("counts %+v do not add up", n)
				}
			}
		})
	}
	l := fanout.NewLedger()
	l.Sent(a)
	if err := l.Sent(a); err == nil {
		t.Error("sending unit A twice: no error")
	}
}

// TestLedgerSnapshotGolden fixes the coverage format the scan result
// builds on.
func TestLedgerSnapshotGolden(t *testing.T) {
	l := fanout.NewLedger()
	units := []fanout.Unit{
		{ID: "metrics/1", Account: "111111111111", Region: "us-east-1", Kind: "metrics", Items: []string{"111111111111/us-east-1/api", "111111111111/us-east-1/worker"}},
		{ID: "metrics/2", Account: "111111111111", Region: "us-east-1", Kind: "metrics", Items: []string{"111111111111/us-east-1/worker", "111111111111/us-east-1/cron"}},
		{ID: "logs/1", Account: "111111111111", Region: "us-east-1", Kind: "logs", Items: []string{"111111111111/us-east-1/api"}},
		{ID: "logs/2", Account: "111111111111", Region: "us-east-1", Kind: "logs", Items: []string{"111111111111/us-east-1/cron"}},
	}
	for _, u := range units {
		l.Sent(u)
	}
	l.DoneExcept(units[0], map[string]string{"111111111111/us-east-1/worker": "GetMetricData query status Forbidden"})
	l.Failed(units[1], "operation error CloudWatch: GetMetricData, exceeded maximum number of attempts, 3, Throttling: Rate exceeded", 3)
	l.Failed(units[2], "AccessDeniedException: not authorized to perform: logs:StartQuery", 1)
	l.Failed(fanout.Unit{Kind: "logs", Items: []string{"111111111111/us-east-1/orphan"}}, `fanout: unit "": invalid unit: empty id, account, region`, 0)
	b, err := json.MarshalIndent(l.Snapshot(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "coverage.golden.json", append(b, '\n'))
}
