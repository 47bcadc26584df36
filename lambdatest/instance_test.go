package lambdatest_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/lambdatest"
)

const testfunc = "github.com/lambdaudit/lambdaudit/lambdatest/internal/testfunc"

func binaries(t *testing.T) (rie, bootstrap string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the Lambda emulator; skipped in -short mode")
	}
	rie = lambdatest.BuildRIE(t)
	bootstrap = lambdatest.BuildBootstrap(t, testfunc)
	return rie, bootstrap
}

func TestInstance(t *testing.T) {
	rie, boot := binaries(t)
	os.Setenv("LAMBDATEST_LEAK_CHECK", "from the test process")
	t.Cleanup(func() { os.Unsetenv("LAMBDATEST_LEAK_CHECK") })
	in := lambdatest.Start(t, lambdatest.Function{
		RIE: rie, Bootstrap: boot, Timeout: 2 * time.Second, MemoryMB: 256,
		Env: map[string]string{"GREETING": "hello", "AWS_REGION": "eu-west-1"},
	})
	ctx := context.Background()

	type reply struct {
		ID          string            `json:"id"`
		RemainingMs int64             `json:"remainingMs"`
		Env         map[string]string `json:"env"`
	}
	cases := []struct {
		name    string
		payload string
		// want is the response; wantErr the FunctionError's type.
		want     string
		wantType string
		check    func(t *testing.T, out []byte)
	}{
		{name: "echo", payload: `{"echo":{"a":[1,2]}}`, want: `{"a":[1,2]}`},
		{name: "environment and deadline", payload: `{"id":"e","env":["GREETING","AWS_REGION","AWS_LAMBDA_FUNCTION_MEMORY_SIZE","AWS_LAMBDA_FUNCTION_TIMEOUT","LAMBDATEST_LEAK_CHECK","AWS_LAMBDA_RUNTIME_API"]}`,
			check: func(t *testing.T, out []byte) {
				var r reply
				if err := json.Unmarshal(out, &r); err != nil {
					t.Fatalf("%v: %s", err, out)
				}
				for k, v := range map[string]string{"GREETING": "hello", "AWS_REGION": "eu-west-1", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_FUNCTION_TIMEOUT": "2", "LAMBDATEST_LEAK_CHECK": ""} {
					if r.Env[k] != v {
						t.Errorf("%s = %q, want %q", k, r.Env[k], v)
					}
				}
				if r.Env["AWS_LAMBDA_RUNTIME_API"] != in.RuntimeAPI() {
					t.Errorf("AWS_LAMBDA_RUNTIME_API = %q, want %q", r.Env["AWS_LAMBDA_RUNTIME_API"], in.RuntimeAPI())
				}
				// The context deadline is the function timeout away.
				if r.RemainingMs < 1500 || r.RemainingMs > 2000 {
					t.Errorf("remaining time at start = %dms, want about 2000ms", r.RemainingMs)
				}
			}},
		{name: "handler error", payload: `{"fail":"boom"}`, wantType: "errorString"},
		{name: "timeout", payload: `{"sleep":"10s"}`, wantType: "Sandbox.Timedout"},
		{name: "answers after a timeout", payload: `{"echo":"again"}`, want: `"again"`},
		{name: "runtime crash", payload: `{"exit":true}`, wantType: "Runtime.ExitError"},
		{name: "answers after a crash", payload: `{"echo":"again"}`, want: `"again"`},
		{name: "memory", payload: `{"allocMB":40}`, check: func(t *testing.T, out []byte) {
			if got := in.PeakRSS(); got < 40<<20 || got > 200<<20 {
				t.Errorf("PeakRSS = %d MiB, want 40 MiB and some", got>>20)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			out, err := in.Invoke(ctx, []byte(c.payload))
			if c.wantType != "" {
				var fe *lambdatest.FunctionError
				if !errors.As(err, &fe) || fe.Type != c.wantType {
					t.Fatalf("Invoke = %s, %v; want a %s function error", out, err, c.wantType)
				}
				if c.wantType == "Sandbox.Timedout" {
					if !fe.Timeout() {
						t.Error("Timeout() = false")
					}
					if d := time.Since(start); d < 2*time.Second || d > 4*time.Second {
						t.Errorf("timed out after %v, want the 2s timeout", d)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.want != "" && string(out) != c.want {
				t.Errorf("response %s, want %s", out, c.want)
			}
			if c.check != nil {
				c.check(t, out)
			}
		})
	}
}

func TestKillMidInvoke(t *testing.T) {
	rie, boot := binaries(t)
	in := lambdatest.Start(t, lambdatest.Function{RIE: rie, Bootstrap: boot, Timeout: 5 * time.Second})
	ctx := context.Background()
	if _, err := in.Invoke(ctx, []byte(`{"id":"warm"}`)); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := in.Invoke(ctx, []byte(`{"sleep":"4s"}`))
		errc <- err
	}()
	time.Sleep(300 * time.Millisecond)
	pid := bootstrapPIDs(t, boot)
	start := time.Now()
	in.Kill()
	if err := <-errc; !errors.Is(err, lambdatest.ErrKilled) {
		t.Fatalf("the invocation in flight: %v, want ErrKilled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the invocation failed %v after Kill, want at once", d)
	}
	if in.Alive() {
		t.Error("Alive after Kill")
	}
	if _, err := in.Invoke(ctx, []byte(`{}`)); !errors.Is(err, lambdatest.ErrKilled) {
		t.Errorf("an invocation after Kill: %v, want ErrKilled", err)
	}
	// No bootstrap survives its emulator.
	time.Sleep(100 * time.Millisecond)
	for p := range pid {
		if _, err := os.Stat("/proc/" + p + "/status"); err == nil {
			if b, _ := os.ReadFile("/proc/" + p + "/stat"); !strings.Contains(string(b), ") Z ") {
				t.Errorf("bootstrap process %s still runs after Kill", p)
			}
		}
	}
}

// bootstrapPIDs returns the IDs of the processes running the test
// function's bootstrap (the file boot) now: only this test's, not those
// of tests running beside it (go test runs packages in parallel, and
// lambdahost's end-to-end tests start bootstraps of their own).
func bootstrapPIDs(t *testing.T, boot string) map[string]bool {
	t.Helper()
	if real, err := filepath.EvalSymlinks(boot); err == nil {
		boot = real // /proc/PID/exe is the resolved path
	}
	pids := map[string]bool{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		exe, err := os.Readlink("/proc/" + e.Name() + "/exe")
		if err == nil && exe == boot {
			pids[e.Name()] = true
		}
	}
	if len(pids) == 0 {
		t.Fatal("found no bootstrap process")
	}
	return pids
}

func TestStartRejects(t *testing.T) {
	cases := []struct {
		name string
		fn   lambdatest.Function
		want string
	}{
		{"no binaries", lambdatest.Function{}, "Function.RIE and Function.Bootstrap are required"},
		{"fractional timeout", lambdatest.Function{RIE: "x", Bootstrap: "y", Timeout: 1500 * time.Millisecond}, "Function.Timeout 1.5s: must be a whole number of seconds"},
		{"managed instances", lambdatest.Function{RIE: "x", Bootstrap: "y", Env: map[string]string{"AWS_LAMBDA_MAX_CONCURRENCY": "4"}}, "AWS_LAMBDA_MAX_CONCURRENCY"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := lambdatest.TryStart(t, c.fn)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("TryStart: %v, want an error containing %q", err, c.want)
			}
		})
	}
}
