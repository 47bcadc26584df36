package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// runCLIContext runs lambdaudit in-process with ctx as the root context,
// as main does (main's context is cancelled by SIGINT/SIGTERM with the
// interruption as its cause).
func runCLIContext(t *testing.T, ctx context.Context, args ...string) (stderr string, code int) {
	t.Helper()
	root := newRootCmd()
	root.SetArgs(args)
	var out, errb strings.Builder
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(ctx)
	if err != nil {
		err = asInterrupted(ctx, err, "stopped")
		code = 2
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errb.WriteString("lambdaudit: " + err.Error() + "\n")
	}
	return errb.String(), code
}

// TestSignalContext: the root context knows which signal stopped it, so
// SIGINT and SIGTERM exit with their own codes.
func TestSignalContext(t *testing.T) {
	tests := []struct {
		name   string
		sig    syscall.Signal
		code   int
		reason string
	}{
		{"SIGINT", syscall.SIGINT, exitInterrupt, scanner.InterruptSignal},
		{"SIGTERM", syscall.SIGTERM, exitTerminate, scanner.InterruptTerminate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, stop := signalContext()
			defer stop()
			if err := syscall.Kill(os.Getpid(), tt.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the signal did not cancel the context")
			}
			i := interruptedBy(ctx)
			if i == nil || i.code != tt.code || i.reason != tt.reason {
				t.Errorf("interruption %+v, want code %d reason %s", i, tt.code, tt.reason)
			}
		})
	}
}

// TestScanInterruptedBeforeScanning: a scan stopped before anything was
// scanned exits with the signal's code, says nothing was written, and
// leaves the previous output file whole.
func TestScanInterruptedBeforeScanning(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t))
	simEnv(t, env)
	out := filepath.Join(t.TempDir(), "scan.json")
	if err := os.WriteFile(out, []byte("previous scan"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(signalInterruption(syscall.SIGTERM))
	stderr, code := runCLIContext(t, ctx, "scan", "--day", reportDay, "-o", out, "--progress", "never")
	if code != exitTerminate {
		t.Fatalf("exit %d, want %d: %s", code, exitTerminate, stderr)
	}
	if !strings.Contains(stderr, "SIGTERM") || !strings.Contains(stderr, "nothing written") {
		t.Errorf("stderr does not say what happened: %s", stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "previous scan" {
		t.Errorf("the previous output was replaced by %q", b)
	}
}

// TestScanInterruptedBeforeListing: a scan stopped after its preflight
// but before any function was listed (ListFunctions slow) keeps the
// previous output file instead of replacing it with an empty result, and
// says so.
func TestScanInterruptedBeforeListing(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t), sim.WithLatency(sim.Latency{PerAPI: map[string]time.Duration{"ListFunctions": 20 * time.Second}}))
	simEnv(t, env)
	out := filepath.Join(t.TempDir(), "scan.json")
	if err := os.WriteFile(out, []byte(`{"previous":"good"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, stderr, code := runCLI(t, "scan", "--day", reportDay, "-o", out, "--progress", "never", "--timeout", "1s")
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("took %v after a 1s --timeout", el)
	}
	if code != exitTimeout {
		t.Fatalf("exit %d, want %d: %s", code, exitTimeout, stderr)
	}
	if !strings.Contains(stderr, "before any function was listed; nothing written") || !strings.Contains(stderr, out) {
		t.Errorf("stderr does not say nothing was written and the file was kept: %s", stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != `{"previous":"good"}` {
		t.Errorf("the previous output was replaced by %.200q", b)
	}
}

// TestScanInterruptedMidScan: --timeout during the metrics stage exits
// 124 and writes the partial result marked interrupted.
func TestScanInterruptedMidScan(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t), sim.WithLatency(sim.Latency{PerAPI: map[string]time.Duration{"GetMetricData": 20 * time.Second}}))
	simEnv(t, env)
	out := filepath.Join(t.TempDir(), "scan.json")
	start := time.Now()
	_, stderr, code := runCLI(t, "scan", "--day", reportDay, "-o", out, "--progress", "never", "--timeout", "2s")
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("took %v after a 2s --timeout", el)
	}
	if code != exitTimeout {
		t.Fatalf("exit %d, want %d: %s", code, exitTimeout, stderr)
	}
	if !strings.Contains(stderr, "--timeout 2s") {
		t.Errorf("stderr does not name the timeout: %s", stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("no partial result written: %v; %s", err, stderr)
	}
	res := readScanFile(t, out)
	if res.Interrupted != scanner.InterruptTimeout {
		t.Errorf("interrupted = %q, want %q", res.Interrupted, scanner.InterruptTimeout)
	}
	if res.Coverage.Listed == 0 {
		t.Errorf("the partial result lost the listed functions: %+v", res.Coverage)
	}
}

// TestScanSilentEndpoint: an endpoint that accepts connections and never
// answers fails the scan within the stated time, naming the API and the
// endpoint, instead of hanging it.
func TestScanSilentEndpoint(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t))
	simEnv(t, env)
	url := simtest.SilentEndpoint(t)
	t.Setenv("AWS_ENDPOINT_URL", url)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"per attempt", []string{"--http-timeout", "200ms", "--sdk-attempts", "2"}, "sts:GetCallerIdentity at " + url + ": no answer within 200ms"},
		{"per call", []string{"--http-timeout", "1m", "--call-timeout", "500ms"}, "sts:GetCallerIdentity at " + url + ": no answer within 500ms"},
		{"from the environment", nil, "no answer within 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.args == nil {
				t.Setenv("LAMBDAUDIT_HTTP_TIMEOUT", "300ms")
				t.Setenv("LAMBDAUDIT_SDK_ATTEMPTS", "1")
			}
			start := time.Now()
			args := append([]string{"scan", "--progress", "never", "-o", filepath.Join(t.TempDir(), "x.json")}, tt.args...)
			_, stderr, code := runCLI(t, args...)
			if el := time.Since(start); el > 10*time.Second {
				t.Errorf("failed after %v", el)
			}
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

func TestProgressLineNamesStage(t *testing.T) {
	var p scanner.Progress
	var b strings.Builder
	stop := drawProgress(&b, "always", func() scanner.ProgressSnapshot { return p.Snapshot(nil) })
	p.SetStage(scanner.ProgressWriting)
	stop()
	if !strings.HasPrefix(b.String(), "writing · targets 0/0") {
		t.Errorf("progress line %q does not start with its stage", b.String())
	}
	if got := progressLine(scanner.ProgressSnapshot{Stage: scanner.ProgressLogs}, time.Second); !strings.HasPrefix(got, "logs · ") {
		t.Errorf("line %q", got)
	}
}

// TestNotifyInterrupted: SIGTERM while a delivery hangs stops it, exits
// 143, and keeps the files already written.
func TestNotifyInterrupted(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers while the test runs
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs first
	t.Setenv("SLACK_WEBHOOK_URL", hang.URL+"/services/T0/B0/x")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_CHANNEL", "")
	t.Setenv("OPSGENIE_API_KEY", "")
	out := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(500*time.Millisecond, func() { cancel(signalInterruption(syscall.SIGTERM)) })
	start := time.Now()
	stderr, code := runCLIContext(t, ctx, "notify", "--scan", fixtureScan, "-o", out)
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("took %v after SIGTERM", el)
	}
	if code != exitTerminate || !strings.Contains(stderr, "SIGTERM") {
		t.Fatalf("exit %d, want %d: %s", code, exitTerminate, stderr)
	}
	for _, name := range []string{"scan.json", "report.json", "report.csv", "summary.csv", "slack.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s not kept: %v", name, err)
		}
	}
}

// TestScanProgressStages: a scan's progress line goes through its stages
// and ends on writing.
func TestScanProgressStages(t *testing.T) {
	env := simtest.Start(t, exampleFleet(t))
	simEnv(t, env)
	_, stderr, code := runCLI(t, "scan", "--day", reportDay, "-o", filepath.Join(t.TempDir(), "x.json"), "--progress", "always")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "writing · targets 1/1 · functions listed") {
		t.Errorf("no final progress line in the writing stage: %s", stderr)
	}
}
