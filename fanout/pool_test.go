package fanout_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/lambdaudit/lambdaudit/fanout"
)

// fast retries for tests.
var fastCfg = fanout.Config{Workers: 4, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}

type harness struct {
	q      *fanout.Memory
	ledger *fanout.Ledger
	pool   *fanout.Pool
	calls  sync.Map // unit ID → *atomic.Int32
}

func newHarness(t *testing.T, cfg fanout.Config, h fanout.Handler) *harness {
	t.Helper()
	x := &harness{q: fanout.NewMemory(), ledger: fanout.NewLedger()}
	counted := func(ctx context.Context, u fanout.Unit) error {
		n, _ := x.calls.LoadOrStore(u.ID, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		return h(ctx, u)
	}
	p, err := fanout.NewPool(x.q, counted, x.ledger, cfg)
	if err != nil {
		t.Fatal(err)
	}
	x.pool = p
	return x
}

func (x *harness) callsOf(id string) int {
	n, ok := x.calls.Load(id)
	if !ok {
		return 0
	}
	return int(n.(*atomic.Int32).Load())
}

// runAll submits the units, closes the input and runs the pool to the end.
func (x *harness) runAll(t *testing.T, units ...fanout.Unit) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := x.pool.Submit(ctx, units...); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	x.pool.CloseInput()
	if err := x.pool.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if x.q.Len() != 0 || x.q.InFlight() != 0 {
		t.Errorf("queue left with %d queued and %d unacked", x.q.Len(), x.q.InFlight())
	}
}

func TestPoolOutcomes(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name     string
		cfg      fanout.Config
		h        fanout.Handler
		unit     fanout.Unit
		calls    int
		done     bool
		reason   string
		attempts int
		retries  int64
	}{
		{name: "success", h: func(context.Context, fanout.Unit) error { return nil },
			calls: 1, done: true},
		{name: "fails twice then succeeds", h: func(_ context.Context, u fanout.Unit) error {
			if u.Attempt < 2 {
				return fmt.Errorf("attempt %d: %w", u.Attempt, errBoom)
			}
			return nil
		}, calls: 3, done: true, retries: 2},
		{name: "always fails: retried as a unit up to MaxAttempts", h: func(_ context.Context, u fanout.Unit) error {
			return fmt.Errorf("attempt %d: %w", u.Attempt, errBoom)
		}, calls: 3, reason: "attempt 2: boom", attempts: 3, retries: 2},
		{name: "MaxAttempts 5", cfg: fanout.Config{MaxAttempts: 5}, h: func(context.Context, fanout.Unit) error { return errBoom },
			calls: 5, reason: "boom", attempts: 5, retries: 4},
		{name: "MaxAttempts 1: no retry", cfg: fanout.Config{MaxAttempts: 1}, h: func(context.Context, fanout.Unit) error { return errBoom },
			calls: 1, reason: "boom", attempts: 1},
		{name: "permanent: no retry", h: func(context.Context, fanout.Unit) error {
			return fanout.Permanent(fmt.Errorf("AccessDenied: %w", errBoom))
		}, calls: 1, reason: "AccessDenied: boom", attempts: 1},
		{name: "AWS AccessDenied, unmarked: not retried (awserr)", h: func(context.Context, fanout.Unit) error {
			return awsErr("CloudWatch", "GetMetricData", 403, "AccessDenied")
		}, calls: 1, reason: "AccessDenied", attempts: 1},
		{name: "AWS bad request, unmarked: not retried (awserr)", h: func(context.Context, fanout.Unit) error {
			return awsErr("CloudWatch Logs", "StartQuery", 400, "MalformedQueryException")
		}, calls: 1, reason: "MalformedQueryException", attempts: 1},
		{name: "AWS throttle past the SDK's retries: retried as a unit", h: func(context.Context, fanout.Unit) error {
			return awsErr("CloudWatch", "GetMetricData", 400, "Throttling")
		}, calls: 3, reason: "Throttling", attempts: 3, retries: 2},
		{name: "AWS 5xx: retried as a unit", h: func(context.Context, fanout.Unit) error {
			return awsErr("CloudWatch", "GetMetricData", 503, "ServiceUnavailable")
		}, calls: 3, reason: "ServiceUnavailable", attempts: 3, retries: 2},
		{name: "panic: recorded, not retried", h: func(context.Context, fanout.Unit) error { panic("index out of range [7]") },
			calls: 1, reason: "handler panic: index out of range [7]", attempts: 1},
		{name: "unknown kind", h: fanout.Mux{"metrics": func(context.Context, fanout.Unit) error { return nil }}.Handle,
			calls: 1, reason: `unknown unit kind "k"`, attempts: 1},
		{name: "unit timeout is retryable", cfg: fanout.Config{UnitTimeout: time.Millisecond, MaxAttempts: 2},
			h:     func(ctx context.Context, _ fanout.Unit) error { <-ctx.Done(); return ctx.Err() },
			calls: 2, reason: "context deadline exceeded", attempts: 2, retries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Workers, cfg.BaseDelay, cfg.MaxDelay = 2, time.Millisecond, 2*time.Millisecond
			x := newHarness(t, cfg, tt.h)
			u := unitN("u1")
			u.Items = []string{"f1", "f2"}
			x.runAll(t, u)
			if got := x.callsOf("u1"); got != tt.calls {
				t.Errorf("handler called %d times, want %d", got, tt.calls)
			}
			s := x.ledger.Snapshot()
			st := x.pool.Stats()
			if tt.done {
				if s.Items != (fanout.Counts{Total: 2, Done: 2}) || st.Done != 1 || st.Failed != 0 {
					t.Errorf("items %+v, stats %+v; want both items done", s.Items, st)
				}
			} else {
				if s.Items != (fanout.Counts{Total: 2, Failed: 2}) || st.Failed != 1 || st.Done != 0 {
					t.Fatalf("items %+v, stats %+v; want both items failed", s.Items, st)
				}
				f := s.Failures[0]
				if !strings.Contains(f.Reason, tt.reason) || f.Attempts != tt.attempts || f.Unit != "u1" {
					t.Errorf("failure %+v, want reason containing %q after %d attempts", f, tt.reason, tt.attempts)
				}
			}
			if st.Retries != tt.retries || st.Submitted != 1 || st.InFlight != 0 {
				t.Errorf("stats %+v, want %d retries, 1 submitted, 0 in flight", st, tt.retries)
			}
		})
	}
}

func TestPoolItemErrors(t *testing.T) {
	x := newHarness(t, fastCfg, func(context.Context, fanout.Unit) error {
		return fmt.Errorf("metrics: %w", fanout.ItemErrors{"f2": "query status Forbidden"})
	})
	u := unitN("u1")
	u.Items = []string{"f1", "f2"}
	x.runAll(t, u)
	s := x.ledger.Snapshot()
	if x.callsOf("u1") != 1 || s.Units.Done != 1 || s.Items != (fanout.Counts{Total: 2, Done: 1, Failed: 1}) {
		t.Errorf("%d calls, units %+v, items %+v; want one call, the unit done, f2 failed", x.callsOf("u1"), s.Units, s.Items)
	}
	if len(s.Failures) != 1 || s.Failures[0].Item != "f2" || s.Failures[0].Reason != "query status Forbidden" {
		t.Errorf("failures %+v", s.Failures)
	}
	e := fanout.ItemErrors{"d": "4", "a": "1", "c": "3", "b": "2"}
	if got, want := e.Error(), "fanout: 4 items failed; a: 1; b: 2; c: 3; and 1 more"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestPoolMalformedUnits(t *testing.T) {
	x := newHarness(t, fastCfg, func(context.Context, fanout.Unit) error { return nil })
	bad := unitN("bad")
	bad.Region = ""
	noID := unitN("")
	noID.Items = []string{"orphan"}
	x.runAll(t, unitN("good"), bad, noID)
	if x.callsOf("bad") != 0 || x.callsOf("") != 0 {
		t.Error("handler called for an invalid unit")
	}
	s := x.ledger.Snapshot()
	if s.Units != (fanout.Counts{Total: 3, Done: 1, Failed: 2}) {
		t.Errorf("units %+v: want the two invalid ones failed, not dropped", s.Units)
	}
	reasons := map[string]string{}
	for _, f := range s.Failures {
		reasons[f.Item] = f.Reason
	}
	if !strings.Contains(reasons["item-bad"], "empty region") || !strings.Contains(reasons["orphan"], "empty id") {
		t.Errorf("failures %+v: want the reasons naming what is wrong", s.Failures)
	}
	if st := x.pool.Stats(); st.Submitted != 3 || st.Done != 1 || st.Failed != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestPoolFromQueue runs the pool on units it did not submit, as a Lambda
// worker does on an SQS batch: it stops when the queue is drained and
// closed, and malformed messages are recorded, not dropped.
func TestPoolFromQueue(t *testing.T) {
	x := newHarness(t, fastCfg, fanout.Mux{"k": func(context.Context, fanout.Unit) error { return nil }}.Handle)
	ctx := context.Background()
	bad := unitN("bad")
	bad.Kind = ""
	other := unitN("other")
	other.Kind = "logs"
	x.q.Send(ctx, 0, unitN("a"), bad, other, unitN("b"))
	x.q.Close()
	if err := x.pool.Run(ctx); err != nil {
		t.Fatal(err)
	}
	s := x.ledger.Snapshot()
	if s.Units != (fanout.Counts{Total: 4, Done: 2, Failed: 2}) || x.q.InFlight() != 0 {
		t.Errorf("units %+v, %d unacked; want 2 done, 2 failed, all acked", s.Units, x.q.InFlight())
	}
}

func TestPoolBoundedWorkers(t *testing.T) {
	const workers = 4
	var cur, peak atomic.Int32
	full := make(chan struct{})
	var once sync.Once
	h := func(ctx context.Context, _ fanout.Unit) error {
		n := cur.Add(1)
		defer cur.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if n == workers {
			once.Do(func() { close(full) })
		}
		// Every handler waits until all workers were busy at once: the
		// pool must run exactly `workers` of them concurrently, or this
		// blocks until the test's deadline.
		select {
		case <-full:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	x := newHarness(t, fanout.Config{Workers: workers}, h)
	var units []fanout.Unit
	for i := range 40 {
		units = append(units, unitN(fmt.Sprint(i)))
	}
	x.runAll(t, units...)
	if peak.Load() != workers {
		t.Errorf("peak concurrency %d, want %d", peak.Load(), workers)
	}
	if s := x.ledger.Snapshot(); s.Units.Done != 40 {
		t.Errorf("units %+v", s.Units)
	}
}

// TestPoolPipelined submits while the pool runs, as the scan does behind
// ListFunctions pages.
func TestPoolPipelined(t *testing.T) {
	var handled atomic.Int32
	x := newHarness(t, fastCfg, func(_ context.Context, u fanout.Unit) error {
		handled.Add(1)
		if u.Attempt == 0 && strings.HasSuffix(u.ID, "7") {
			return errors.New("transient")
		}
		return nil
	})
	ctx := context.Background()
	runErr := make(chan error)
	go func() { runErr <- x.pool.Run(ctx) }()
	for page := range 10 {
		var units []fanout.Unit
		for i := range 10 {
			units = append(units, unitN(fmt.Sprintf("p%d-%d", page, i)))
		}
		if err := x.pool.Submit(ctx, units...); err != nil {
			t.Fatal(err)
		}
	}
	x.pool.CloseInput()
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
	if s := x.ledger.Snapshot(); s.Units != (fanout.Counts{Total: 100, Done: 100}) {
		t.Errorf("units %+v", s.Units)
	}
	if handled.Load() != 110 || x.pool.Stats().Retries != 10 {
		t.Errorf("%d handler calls, %d retries; want 110 and 10", handled.Load(), x.pool.Stats().Retries)
	}
	if err := x.pool.Submit(ctx, unitN("late")); !errors.Is(err, fanout.ErrInputClosed) {
		t.Errorf("Submit after CloseInput = %v, want ErrInputClosed", err)
	}
	if err := x.pool.Run(ctx); err == nil {
		t.Error("second Run: no error")
	}
}

func TestPoolNothingToDo(t *testing.T) {
	x := newHarness(t, fastCfg, func(context.Context, fanout.Unit) error { return nil })
	x.runAll(t)
	if err := x.pool.Submit(context.Background(), unitN("a")); !errors.Is(err, fanout.ErrInputClosed) {
		t.Errorf("Submit after CloseInput = %v", err)
	}
}

func TestPoolDuplicateID(t *testing.T) {
	x := newHarness(t, fastCfg, func(context.Context, fanout.Unit) error { return nil })
	err := x.pool.Submit(context.Background(), unitN("a"), unitN("a"))
	if err == nil || !strings.Contains(err.Error(), `"a" sent twice`) {
		t.Errorf("Submit of a duplicate ID = %v", err)
	}
}

// waitGoroutines waits for the goroutine count to fall back to n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	for range 200 {
		if runtime.NumGoroutine() <= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Errorf("%d goroutines, want %d: leak?\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
}

func TestPoolCancel(t *testing.T) {
	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			const workers = 4
			started := make(chan struct{}, 10)
			var sawCancel atomic.Int32
			x := newHarness(t, fanout.Config{Workers: workers}, func(ctx context.Context, _ fanout.Unit) error {
				started <- struct{}{}
				<-ctx.Done()
				sawCancel.Add(1)
				return ctx.Err()
			})
			ctx, cancel := tt.ctx()
			defer cancel()
			var units []fanout.Unit
			for i := range 10 {
				units = append(units, unitN(fmt.Sprint(i)))
			}
			if err := x.pool.Submit(ctx, units...); err != nil {
				t.Fatal(err)
			}
			x.pool.CloseInput()
			runErr := make(chan error)
			go func() { runErr <- x.pool.Run(ctx) }()
			if tt.want == context.Canceled {
				for range workers {
					<-started
				}
				cancel()
			}
			err := <-runErr
			if !errors.Is(err, tt.want) {
				t.Fatalf("Run = %v, want %v", err, tt.want)
			}
			// Every handler started saw ctx done; none started after.
			n := len(started) // those not drained above
			if tt.want == context.Canceled {
				n += workers
			}
			if int(sawCancel.Load()) != n || n > workers {
				t.Errorf("%d handlers saw the cancellation, %d started; want equal, at most %d", sawCancel.Load(), n, workers)
			}
			// Nothing is recorded done or failed by the cancellation
			// itself; the scan fails what is left with its reason.
			s := x.ledger.Snapshot()
			if s.Units != (fanout.Counts{Total: 10, Pending: 10}) {
				t.Errorf("units %+v, want 10 pending", s.Units)
			}
			x.ledger.FailPending("scan stopped: " + err.Error())
			if s := x.ledger.Snapshot(); s.Items.Failed != 10 {
				t.Errorf("after FailPending: items %+v", s.Items)
			}
			waitGoroutines(t, before)
		})
	}
}

// awsErr is an error as an SDK client returns it for an AWS answer.
func awsErr(service, op string, status int, code string) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: "m"},
	}}
}

// failingQueue is a memory queue whose Send fails on the calls fail
// says (counted from 1).
type failingQueue struct {
	*fanout.Memory
	fail  func(n int32) bool
	sends atomic.Int32
	// refuse, when set, is the unit an SQS-like queue refuses alone: the
	// others are sent and a *fanout.SendError names it.
	refuse string
}

func (q *failingQueue) Send(ctx context.Context, delay time.Duration, units ...fanout.Unit) error {
	if q.fail(q.sends.Add(1)) {
		return errors.New("SendMessageBatch: queue unavailable")
	}
	if q.refuse != "" {
		var sent []fanout.Unit
		se := &fanout.SendError{Total: len(units)}
		for _, u := range units {
			if u.ID == q.refuse {
				se.Failures = append(se.Failures, fanout.SendFailure{UnitID: u.ID, Code: "InvalidMessageContents", Reason: "not queued by SQS"})
				continue
			}
			sent = append(sent, u)
		}
		if err := q.Memory.Send(ctx, delay, sent...); err != nil {
			return err
		}
		if len(se.Failures) > 0 {
			return se
		}
		return nil
	}
	return q.Memory.Send(ctx, delay, units...)
}

// failures records Config.OnFailure's calls.
type failures struct {
	mu    sync.Mutex
	calls map[string][]error
	// cancelled counts calls whose ctx was already done.
	cancelled int
}

func (f *failures) onFailure(ctx context.Context, u fanout.Unit, err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string][]error{}
	}
	f.calls[u.ID] = append(f.calls[u.ID], err)
	if ctx.Err() != nil {
		f.cancelled++
	}
	return nil
}

// TestPoolOnFailureNotRecorded: a unit whose failure OnFailure could not
// record is not acked — the queue keeps it for another delivery — while
// one recorded is acked.
func TestPoolOnFailureNotRecorded(t *testing.T) {
	for _, tt := range []struct {
		name      string
		recordErr error
		inFlight  int
	}{
		{name: "recorded: acked", inFlight: 0},
		{name: "not recorded: left unacked", recordErr: errors.New("store unavailable"), inFlight: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := fanout.NewMemory()
			cfg := fastCfg
			cfg.OnFailure = func(context.Context, fanout.Unit, error) error { return tt.recordErr }
			p, err := fanout.NewPool(q, func(context.Context, fanout.Unit) error { return fanout.Permanent(errors.New("denied")) }, fanout.NewLedger(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := q.Send(ctx, 0, unitN("a")); err != nil {
				t.Fatal(err)
			}
			q.Close()
			if err := p.Run(ctx); err != nil {
				t.Fatal(err)
			}
			if got := q.InFlight(); got != tt.inFlight {
				t.Errorf("%d messages left unacked, want %d", got, tt.inFlight)
			}
		})
	}
}

// TestPoolOnFailure: OnFailure is told exactly once of every unit that
// failed for good — invalid, not queued, failed permanently or on its
// last attempt — with its error, and never of a unit that succeeded,
// partly succeeded or is being retried.
func TestPoolOnFailure(t *testing.T) {
	errBoom := errors.New("boom")
	ok := func(context.Context, fanout.Unit) error { return nil }
	invalid := unitN("invalid")
	invalid.Region = ""
	tests := []struct {
		name string
		h    fanout.Handler
		// failSend fails the queue's Send calls it returns true for.
		failSend func(n int32) bool
		units    []fanout.Unit
		// fromQueue: the units are put on the queue, not submitted.
		fromQueue bool
		// refuse is the one unit the queue refuses with a *SendError.
		refuse string
		want   map[string]string // unit ID → the error's text, for the units failed
	}{
		{name: "success", h: ok, units: []fanout.Unit{unitN("a"), unitN("b")}},
		{name: "success on the second attempt", h: func(_ context.Context, u fanout.Unit) error {
			if u.Attempt == 0 {
				return errBoom
			}
			return nil
		}, units: []fanout.Unit{unitN("a")}},
		{name: "item errors: done, not failed", h: func(context.Context, fanout.Unit) error {
			return fanout.ItemErrors{"item-a": "Forbidden"}
		}, units: []fanout.Unit{unitN("a")}},
		{name: "permanent", h: func(context.Context, fanout.Unit) error { return fanout.Permanent(errBoom) },
			units: []fanout.Unit{unitN("a"), unitN("b")}, want: map[string]string{"a": "boom", "b": "boom"}},
		{name: "AWS AccessDenied", h: func(context.Context, fanout.Unit) error {
			return awsErr("CloudWatch", "GetMetricData", 403, "AccessDenied")
		}, units: []fanout.Unit{unitN("a")}, want: map[string]string{"a": "AccessDenied"}},
		{name: "last attempt: once, not per attempt", h: func(_ context.Context, u fanout.Unit) error {
			return fmt.Errorf("attempt %d: %w", u.Attempt, errBoom)
		}, units: []fanout.Unit{unitN("a")}, want: map[string]string{"a": "attempt 2: boom"}},
		{name: "panic", h: func(context.Context, fanout.Unit) error { panic("nil map") },
			units: []fanout.Unit{unitN("a")}, want: map[string]string{"a": "handler panic: nil map"}},
		{name: "invalid unit submitted", h: ok, units: []fanout.Unit{invalid, unitN("a")},
			want: map[string]string{"invalid": "empty region"}},
		{name: "invalid unit received", h: ok, units: []fanout.Unit{invalid, unitN("a")}, fromQueue: true,
			want: map[string]string{"invalid": "empty region"}},
		{name: "not queued", h: ok, failSend: func(int32) bool { return true },
			units: []fanout.Unit{unitN("a"), unitN("b")}, want: map[string]string{"a": "not queued", "b": "not queued"}},
		{name: "partly queued: only the refused unit fails", h: ok, refuse: "b",
			units: []fanout.Unit{unitN("a"), unitN("b"), unitN("c")}, want: map[string]string{"b": "not queued by SQS"}},
		{name: "retry not queued", h: func(context.Context, fanout.Unit) error { return errBoom },
			failSend: func(n int32) bool { return n > 1 }, units: []fanout.Unit{unitN("a")},
			want: map[string]string{"a": "retry not queued"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f failures
			q := &failingQueue{Memory: fanout.NewMemory(), fail: func(int32) bool { return false }, refuse: tt.refuse}
			if tt.failSend != nil {
				q.fail = tt.failSend
			}
			cfg := fastCfg
			cfg.OnFailure = f.onFailure
			p, err := fanout.NewPool(q, tt.h, fanout.NewLedger(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if tt.fromQueue {
				if err := q.Memory.Send(ctx, 0, tt.units...); err != nil {
					t.Fatal(err)
				}
				q.Close()
			} else {
				err := p.Submit(ctx, tt.units...)
				if (err != nil) != (tt.failSend != nil && tt.failSend(1) || tt.refuse != "") {
					t.Errorf("Submit = %v", err)
				}
				p.CloseInput()
			}
			if err := p.Run(ctx); err != nil {
				t.Fatal(err)
			}
			if len(f.calls) != len(tt.want) || f.cancelled != 0 {
				t.Errorf("OnFailure called for %v (%d with ctx done), want %v", f.calls, f.cancelled, tt.want)
			}
			for id, want := range tt.want {
				errs := f.calls[id]
				if len(errs) != 1 || !strings.Contains(errs[0].Error(), want) {
					t.Errorf("unit %s: OnFailure got %v, want once with %q", id, errs, want)
				}
			}
		})
	}
}

// TestPoolOnFailureCancel: a unit left pending because ctx ended is not
// failed — OnFailure is not called for it (the host names it
// interrupted); one that failed for good before is, once.
func TestPoolOnFailureCancel(t *testing.T) {
	var f failures
	started := make(chan struct{}, 10)
	h := func(ctx context.Context, u fanout.Unit) error {
		if u.ID == "bad" {
			return fanout.Permanent(errors.New("denied"))
		}
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}
	cfg := fanout.Config{Workers: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, OnFailure: f.onFailure}
	p, err := fanout.NewPool(fanout.NewMemory(), h, fanout.NewLedger(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	units := []fanout.Unit{unitN("bad")}
	for i := range 6 {
		units = append(units, unitN(fmt.Sprint(i)))
	}
	if err := p.Submit(ctx, units...); err != nil {
		t.Fatal(err)
	}
	p.CloseInput()
	runErr := make(chan error)
	go func() { runErr <- p.Run(ctx) }()
	<-started
	<-started // both workers busy, "bad" done before
	cancel()
	if err := <-runErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if len(f.calls) != 1 || len(f.calls["bad"]) != 1 || f.cancelled != 0 {
		t.Errorf("OnFailure called for %v (%d with ctx done); want only the failed unit, once", f.calls, f.cancelled)
	}
	if s := p.Stats(); s.Failed != 1 || s.Done != 0 {
		t.Errorf("stats %+v: want one failed, the rest pending", s)
	}
}
