package lambdatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Function is a Lambda function to run locally under the emulator.
type Function struct {
	// RIE is the emulator binary, from BuildRIE.
	RIE string
	// Bootstrap is the function's executable, from BuildBootstrap (or
	// any provided.al2023 bootstrap built for the host).
	Bootstrap string
	// Env is the function's environment. The function sees only this,
	// the variables Lambda sets (AWS_LAMBDA_FUNCTION_*, AWS_REGION,
	// LAMBDA_TASK_ROOT, TZ, …) and PATH, never the test's environment;
	// AWS_REGION and AWS_DEFAULT_REGION default to us-east-1.
	Env map[string]string
	// Timeout is the function timeout, in whole seconds as Lambda's
	// (default 3s). The emulator enforces it: the runtime is killed and
	// the invocation fails with a Sandbox.Timedout FunctionError.
	Timeout time.Duration
	// MemoryMB is AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default 128). The
	// emulator does not enforce it; compare PeakRSS with it.
	MemoryMB int
	// Name is AWS_LAMBDA_FUNCTION_NAME (default "lambdatest").
	Name string
}

// invokePath is the emulator's invoke endpoint (the function name in it
// is always "function").
const invokePath = "/2015-03-31/functions/function/invocations"

// timeoutPrefix begins the emulator's answer to an invocation that ran
// past the function timeout (with status 200 and no error header).
const timeoutPrefix = "Task timed out after"

// ErrKilled is the error of an invocation whose instance Kill ended.
var ErrKilled = errors.New("lambdatest: instance killed")

// ErrExited is the error of an invocation whose emulator exited.
var ErrExited = errors.New("lambdatest: emulator exited")

// FunctionError is an invocation that ended in a function error: the
// handler returned an error, the runtime crashed (Runtime.ExitError) or
// the function timed out (Sandbox.Timedout). On Lambda, Invoke would
// answer with the X-Amz-Function-Error header and this error as the body.
type FunctionError struct {
	// Type is the errorType ("errorString", "Runtime.ExitError",
	// "Sandbox.Timedout", …).
	Type string
	// Message is the errorMessage.
	Message string
	// Payload is the body the emulator answered with.
	Payload []byte
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("function error %s: %s", e.Type, e.Message)
}

// Timeout reports whether the function ran past its timeout.
func (e *FunctionError) Timeout() bool { return e.Type == "Sandbox.Timedout" }

// Instance is one execution environment: an emulator process and the
// bootstrap it runs. Like a Lambda execution environment it runs one
// invocation at a time; concurrent Invoke calls wait their turn.
type Instance struct {
	fn         Function
	cmd        *exec.Cmd
	url        string
	runtimeAPI string
	client     *http.Client
	logs       *tail
	turn       chan struct{} // holds one token: the right to invoke
	exited     chan struct{} // closed when the emulator has exited
	killed     atomic.Bool
	peak       atomic.Int64
	pidMu      sync.Mutex
	pid        int // the bootstrap's last known process ID
}

// Start starts fn under the emulator on free local ports and returns its
// instance, failing the test if it cannot. The instance is killed when
// the test ends; its emulator output is logged if the test failed.
func Start(t testing.TB, fn Function) *Instance {
	t.Helper()
	in, err := TryStart(t, fn)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TryStart is Start returning the error instead of failing the test, for
// starting instances outside the test's goroutine (ESM.NewInstance).
func TryStart(t testing.TB, fn Function) (*Instance, error) {
	if fn.RIE == "" || fn.Bootstrap == "" {
		return nil, errors.New("lambdatest: Function.RIE and Function.Bootstrap are required (from BuildRIE and BuildBootstrap)")
	}
	if fn.Timeout == 0 {
		fn.Timeout = 3 * time.Second
	}
	if fn.Timeout < time.Second || fn.Timeout%time.Second != 0 {
		return nil, fmt.Errorf("lambdatest: Function.Timeout %v: must be a whole number of seconds, at least 1s (Lambda's and the emulator's unit)", fn.Timeout)
	}
	if fn.MemoryMB == 0 {
		fn.MemoryMB = 128
	}
	if fn.Name == "" {
		fn.Name = "lambdatest"
	}
	if _, ok := fn.Env["AWS_LAMBDA_MAX_CONCURRENCY"]; ok {
		return nil, errors.New("lambdatest: Function.Env must not set AWS_LAMBDA_MAX_CONCURRENCY: it switches the emulator to Lambda Managed Instances mode")
	}
	var err error
	for range 3 { // a port taken between choosing and binding: try others
		var in *Instance
		if in, err = start(fn); err == nil {
			t.Cleanup(func() {
				in.stop()
				if t.Failed() {
					t.Logf("lambdatest: emulator output of %s (last %d bytes):\n%s", in.url, tailSize, in.Logs())
				}
			})
			return in, nil
		}
	}
	return nil, err
}

func start(fn Function) (*Instance, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("lambdatest: choose ports: %w", err)
	}
	invokeAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	runtimeAPI := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))

	env := map[string]string{
		"PATH":                            os.Getenv("PATH"),
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_LAMBDA_FUNCTION_NAME":        fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(int(fn.Timeout / time.Second)),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + fn.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "lambdatest",
		"LAMBDA_TASK_ROOT":                filepath.Dir(fn.Bootstrap),
		"_HANDLER":                        "bootstrap",
	}
	maps.Copy(env, fn.Env)
	cmd := exec.Command(fn.RIE,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAPI,
		"--log-level", "info",
		fn.Bootstrap)
	cmd.Dir = filepath.Dir(fn.Bootstrap) // the emulator runs the bootstrap in its own directory, as /var/task
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &tail{}
	cmd.Stdout, cmd.Stderr = logs, logs
	// Its own process group, and killed with the test process; the
	// bootstrap it starts has a process group of its own.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lambdatest: start the emulator: %w", err)
	}
	in := &Instance{
		fn: fn, cmd: cmd, logs: logs,
		url:        "http://" + invokeAddr + invokePath,
		runtimeAPI: runtimeAPI,
		client:     &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
		turn:       make(chan struct{}, 1),
		exited:     make(chan struct{}),
	}
	in.turn <- struct{}{}
	go func() { cmd.Wait(); close(in.exited) }()

	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", invokeAddr, time.Second)
		if err == nil {
			c.Close()
			return in, nil
		}
		select {
		case <-in.exited:
			return nil, fmt.Errorf("lambdatest: the emulator exited on start: %s\n%s", cmd.ProcessState, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			in.stop()
			return nil, fmt.Errorf("lambdatest: the emulator did not listen on %s within 10s:\n%s", invokeAddr, logs.String())
		}
	}
}

// Invoke invokes the function synchronously with payload (JSON) and
// returns its response. A function error, crash or timeout is a
// *FunctionError; an instance that Kill ended gives ErrKilled. If ctx
// ends first Invoke returns ctx's error, and the invocation still runs
// to its end before the instance takes another, as on Lambda.
func (in *Instance) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case <-in.turn:
	case <-in.exited:
		return nil, in.deadErr()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	type result struct {
		body []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { in.turn <- struct{}{} }()
		body, err := in.invoke(payload)
		in.PeakRSS() // sample while the process lives
		done <- result{body, err}
	}()
	select {
	case r := <-done:
		return r.body, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (in *Instance) invoke(payload []byte) ([]byte, error) {
	// The emulator answers at the function timeout; the margin covers
	// its re-initialisation after a crash.
	ctx, cancel := context.WithTimeout(context.Background(), in.fn.Timeout+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := in.client.Do(req)
	if err != nil {
		if in.killed.Load() {
			return nil, ErrKilled
		}
		select {
		case <-in.exited:
			return nil, in.deadErr()
		case <-time.After(100 * time.Millisecond): // the emulator may be exiting
			select {
			case <-in.exited:
				return nil, in.deadErr()
			default:
			}
		}
		return nil, fmt.Errorf("lambdatest: invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		if in.killed.Load() {
			return nil, ErrKilled
		}
		return nil, fmt.Errorf("lambdatest: read the response: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusOK && resp.Header.Get("X-Amz-Function-Error") != "":
		return nil, functionError(body)
	case resp.StatusCode == http.StatusOK && bytes.HasPrefix(body, []byte(timeoutPrefix)):
		return nil, &FunctionError{Type: "Sandbox.Timedout", Message: string(body), Payload: body}
	case resp.StatusCode == http.StatusOK:
		// The emulator answers a handler's error with status 200 and the
		// error document, without Lambda's X-Amz-Function-Error header.
		if fe, ok := asErrorDocument(body); ok {
			return nil, fe
		}
		return body, nil
	case resp.StatusCode == http.StatusBadGateway: // the runtime exited or failed to init
		return nil, functionError(body)
	default:
		return nil, fmt.Errorf("lambdatest: invoke: status %d: %s", resp.StatusCode, body)
	}
}

// asErrorDocument reports whether body is the error document a runtime
// posts to /runtime/invocation/{id}/error: a JSON object with
// errorMessage and errorType and at most stackTrace besides.
func asErrorDocument(body []byte) (*FunctionError, bool) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return nil, false
	}
	_, hasType := doc["errorType"]
	_, hasMessage := doc["errorMessage"]
	if !hasType || !hasMessage {
		return nil, false
	}
	for k := range doc {
		if k != "errorType" && k != "errorMessage" && k != "stackTrace" {
			return nil, false
		}
	}
	return functionError(body), true
}

func functionError(body []byte) *FunctionError {
	var doc struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &doc) != nil || doc.Type == "" {
		return &FunctionError{Type: "Unhandled", Message: string(body), Payload: body}
	}
	return &FunctionError{Type: doc.Type, Message: doc.Message, Payload: body}
}

func (in *Instance) deadErr() error {
	if in.killed.Load() {
		return ErrKilled
	}
	return fmt.Errorf("%w: %s", ErrExited, in.cmd.ProcessState)
}

// Kill ends the instance at once with SIGKILL — emulator and bootstrap —
// as when an execution environment dies mid-invocation. An invocation in
// flight fails with ErrKilled; so does every later one.
func (in *Instance) Kill() {
	in.killed.Store(true)
	in.stop()
}

// Alive reports whether the instance can still take invocations.
func (in *Instance) Alive() bool {
	select {
	case <-in.exited:
		return false
	default:
		return true
	}
}

func (in *Instance) stop() {
	pid := in.bootstrapPID() // before the emulator dies and it is re-parented
	syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
	if pid > 0 {
		syscall.Kill(-pid, syscall.SIGKILL) // the bootstrap leads its own group
	}
	<-in.exited
}

// PeakRSS returns the highest peak resident set size (VmHWM, bytes) seen
// of the bootstrap processes this instance ran, sampled after every
// invocation and now. It is 0 before the first invocation (the emulator
// starts the bootstrap then) and does not count the emulator itself.
func (in *Instance) PeakRSS() int64 {
	if pid := in.bootstrapPID(); pid > 0 {
		if hwm, err := vmHWM(pid); err == nil {
			for {
				old := in.peak.Load()
				if hwm <= old || in.peak.CompareAndSwap(old, hwm) {
					break
				}
			}
		}
	}
	return in.peak.Load()
}

// MemoryMB is the memory size the function was started with.
func (in *Instance) MemoryMB() int { return in.fn.MemoryMB }

// RuntimeAPI is the host:port of the emulator's Runtime API (the
// function's AWS_LAMBDA_RUNTIME_API).
func (in *Instance) RuntimeAPI() string { return in.runtimeAPI }

// Logs returns the end of the emulator's output: its own log lines, the
// START/END/REPORT lines and the function's stdout and stderr.
func (in *Instance) Logs() string { return in.logs.String() }

// bootstrapPID returns the process ID of the emulator's child (the
// bootstrap), or 0 when it has none. The emulator starts a new one after
// a crash or timeout, so the cached ID is checked each time.
func (in *Instance) bootstrapPID() int {
	in.pidMu.Lock()
	defer in.pidMu.Unlock()
	parent := in.cmd.Process.Pid
	if in.pid > 0 && ppid(in.pid) == parent {
		return in.pid
	}
	in.pid = 0
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid(pid) == parent {
			in.pid = pid
			break
		}
	}
	return in.pid
}

// ppid returns the parent process ID of pid from /proc/PID/stat, or 0.
func ppid(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// pid (comm) state ppid …; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}

// vmHWM reads the peak resident set size of pid from /proc/PID/status.
func vmHWM(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v) // "1234 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// tailSize is how much of an emulator's output an Instance keeps.
const tailSize = 64 << 10

// tail keeps the last tailSize bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (w *tail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - tailSize; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

func (w *tail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
