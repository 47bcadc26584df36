package main

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// TestReportFailures: the stderr summary prints one line per cause with
// the functions it cost, never one line per function; a budget skip is
// reported as coverage and exits 0; plurals agree with their numbers.
func TestReportFailures(t *testing.T) {
	denied := func(n int) []scanner.Function {
		var fs []scanner.Function
		for i := range n {
			fs = append(fs, scanner.Function{ID: fmt.Sprintf("111111111111/eu-west-1/fn-%d", i), Account: "111111111111", Region: "eu-west-1",
				Failures: []scanner.Failure{{Stage: scanner.StageMetrics, Code: "AccessDenied", API: "cloudwatch:GetMetricData",
					Reason: "AccessDenied cloudwatch:GetMetricData", Detail: fmt.Sprintf("operation error CloudWatch: GetMetricData, https response error StatusCode: 403, RequestID: %04d, api error AccessDenied: not authorized", i)}}})
		}
		return fs
	}
	tests := []struct {
		name      string
		res       *scanner.Result
		wantExit  bool
		want      []string
		wantLines int // lines on w, 0 = do not check
		not       []string
	}{
		{
			name: "budget skip is coverage",
			res: &scanner.Result{Targets: []scanner.Target{{Account: "1", Region: "us-east-1", Status: scanner.StatusOK}},
				Functions: []scanner.Function{{ID: "1/us-east-1/a"}, {ID: "1/us-east-1/b"}},
				Logs:      scanner.LogsUsage{Skipped: []scanner.Skipped{{LogGroup: "/aws/lambda/b", Functions: []string{"1/us-east-1/b"}, Reason: "log budget"}}}},
			want:      []string{"lambdaudit scan: 1 target (0 failed), 2 functions: 2 scanned, 0 partial, 0 failed; logs not queried for 1 function (log budget: 1);"},
			wantLines: 1,
			not:       []string{"not covered"},
		},
		{
			name: "one cause, 200 functions, one line",
			res: &scanner.Result{Targets: []scanner.Target{{Account: "111111111111", Region: "eu-west-1", Status: scanner.StatusOK},
				{Account: "222222222222", Region: "eu-west-1", Status: scanner.StatusFailed, Error: "sts:AssumeRole …: access denied",
					Cause: &scanner.Cause{Code: "AccessDenied", API: "sts:AssumeRole", Account: "222222222222", Region: "eu-west-1"}}},
				Functions: append(denied(200), scanner.Function{ID: "111111111111/eu-west-1/ok", Account: "111111111111", Region: "eu-west-1", Metrics: map[string]metrics.Series{}})},
			wantExit: true,
			want: []string{
				"2 targets (1 failed), 201 functions: 1 scanned, 0 partial, 200 failed",
				"not covered: 200 of 201 functions (99 %), 1 of 2 account-regions not listed\n",
				"  AccessDenied cloudwatch:GetMetricData in 111111111111/eu-west-1: 200 functions\n",
				"  AccessDenied sts:AssumeRole in 222222222222/eu-west-1: 1 account-region not listed\n",
			},
			wantLines: 5,
			not:       []string{"RequestID", "metrics: metrics:", "fn-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.res.Summarise()
			var w bytes.Buffer
			err := reportFailures(&w, tt.res)
			var ee *exitError
			if got := errors.As(err, &ee) && ee.code == exitFailures; got != tt.wantExit {
				t.Errorf("exit 3 = %v (err %v), want %v", got, err, tt.wantExit)
			}
			out := w.String()
			for _, s := range tt.want {
				if !strings.Contains(out, s) {
					t.Errorf("missing %q in:\n%s", s, out)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(out, s) {
					t.Errorf("%q in:\n%s", s, out)
				}
			}
			if n := strings.Count(out, "\n"); tt.wantLines > 0 && n != tt.wantLines {
				t.Errorf("%d lines, want %d:\n%s", n, tt.wantLines, out)
			}
		})
	}
}

// TestScanAndNotifyOnABudgetDay: the README's "scan && notify" delivers
// on a normal day — a log budget that skips most log groups is coverage
// (exit 0, said on stderr), and notify then writes its outputs (exit 0).
func TestScanAndNotifyOnABudgetDay(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t))
	simEnv(t, env)
	dir := t.TempDir()
	scan := filepath.Join(dir, "scan.json")
	_, stderr, code := runCLI(t, "scan", "--day", reportDay, "--regions", "us-east-1,eu-west-1", "--logs-budget-usd", "0.0000001", "-o", scan, "--progress", "never")
	if code != 0 {
		t.Fatalf("scan exit %d on a budget day, want 0: %s", code, stderr)
	}
	if !strings.Contains(stderr, "logs not queried for") || !strings.Contains(stderr, "log budget") || strings.Contains(stderr, "not covered") {
		t.Errorf("stderr does not report the budget skip as coverage: %s", stderr)
	}
	res := readScanFile(t, scan)
	if res.Coverage.LogsSkippedBy["log budget"] == 0 || res.Coverage.Partial != 0 {
		t.Errorf("coverage %+v: want budget skips and no partial function", res.Coverage)
	}
	_, stderr, code = runCLI(t, "notify", "--scan", scan, "--out", filepath.Join(dir, "out"))
	if code != 0 {
		t.Fatalf("notify exit %d after a budget day, want 0: %s", code, stderr)
	}
}
