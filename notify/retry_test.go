package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// step is one scripted attempt: its (retry, err) answer and the
// Retry-After it carries.
type step struct {
	retry bool
	err   error
	after time.Duration
}

var (
	errTransient = errors.New("HTTP 503")
	errRefused   = errors.New("HTTP 401")
)

// TestRetrier: the (retry bool, err) contract — success ends, retry
// false ends at once with the error as is, retry true waits (Retry-After
// first, else the doubling back-off capped at Max) — bounded by
// Attempts, MaxWait, MaxElapsed and ctx.
func TestRetrier(t *testing.T) {
	ok := step{}
	transient := step{retry: true, err: errTransient}
	after := func(d time.Duration) step { return step{retry: true, err: errTransient, after: d} }
	tests := []struct {
		name       string
		r          Retrier
		steps      []step
		cancelAt   int // cancel ctx during the wait after this attempt (0: never)
		waits      string
		attempts   int
		wantErr    error  // errors.Is
		stop       string // RetryStop.Why; "" for none
		stopString string // a substring of the error
	}{
		{name: "success at once", steps: []step{ok}, waits: "[]", attempts: 1},
		{name: "5xx backs off, doubling", r: Retrier{Attempts: 5, Base: time.Second, Max: time.Minute},
			steps: []step{transient, transient, transient, ok}, waits: "[1s 2s 4s]", attempts: 4},
		{name: "back-off capped at Max", r: Retrier{Attempts: 5, Base: time.Second, Max: 3 * time.Second},
			steps: []step{transient, transient, transient, ok}, waits: "[1s 2s 3s]", attempts: 4},
		{name: "429 Retry-After wins and does not advance the back-off", r: Retrier{Attempts: 5, Base: time.Second, Max: time.Minute},
			steps: []step{after(7 * time.Second), transient, ok}, waits: "[7s 1s]", attempts: 3},
		{name: "permanent: no retry, the error as is", r: Retrier{Attempts: 5, Base: time.Second},
			steps: []step{{retry: false, err: errRefused}}, waits: "[]", attempts: 1, wantErr: errRefused},
		{name: "permanent after a retry", r: Retrier{Attempts: 5, Base: time.Second},
			steps: []step{transient, {retry: false, err: errRefused}}, waits: "[1s]", attempts: 2, wantErr: errRefused},
		{name: "attempts run out", r: Retrier{Attempts: 3, Base: time.Second, Max: time.Minute},
			steps: []step{transient, transient, transient}, waits: "[1s 2s]", attempts: 3, wantErr: errTransient,
			stop: StopAttempts, stopString: "HTTP 503 (gave up after 3 attempts)"},
		{name: "zero attempts means one", steps: []step{transient}, waits: "[]", attempts: 1, wantErr: errTransient, stop: StopAttempts},
		{name: "Retry-After longer than MaxWait", r: Retrier{Attempts: 5, Base: time.Second, MaxWait: time.Minute},
			steps: []step{after(time.Hour)}, waits: "[]", attempts: 1, wantErr: errTransient, stop: StopRetryAfter, stopString: "Retry-After 1h0m0s"},
		{name: "MaxElapsed stops a wait that would pass it", r: Retrier{Attempts: 10, Base: time.Second, Max: time.Minute, MaxElapsed: 5 * time.Second},
			steps: []step{transient, transient, transient, transient}, waits: "[1s 2s]", attempts: 3, wantErr: errTransient, stop: StopElapsed},
		{name: "ctx canceled while waiting", r: Retrier{Attempts: 5, Base: time.Second},
			steps: []step{transient, ok}, cancelAt: 1, waits: "[1s]", attempts: 1, wantErr: context.Canceled, stop: StopCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			clock := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
			var waits []time.Duration
			r := tt.r
			r.Now = func() time.Time { return clock }
			attempt := 0
			r.Sleep = func(ctx context.Context, d time.Duration) error {
				waits = append(waits, d)
				clock = clock.Add(d)
				if attempt == tt.cancelAt {
					cancel()
				}
				return ctx.Err()
			}
			n, err := r.Do(ctx, func(_ context.Context, a int) (bool, error) {
				attempt = a
				s := tt.steps[a-1]
				return s.retry, RetryAfter(s.err, s.after)
			})
			if got := fmt.Sprint(waits); got != tt.waits {
				t.Errorf("waits %s, want %s", got, tt.waits)
			}
			if n != tt.attempts {
				t.Errorf("attempts %d, want %d", n, tt.attempts)
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("err %v, want %v", err, tt.wantErr)
			}
			var stop *RetryStop
			if got := errors.As(err, &stop); got != (tt.stop != "") || got && stop.Why != tt.stop {
				t.Errorf("err %#v, want a RetryStop %q", err, tt.stop)
			}
			if tt.stopString != "" && (err == nil || !strings.Contains(err.Error(), tt.stopString)) {
				t.Errorf("err %v, want it to contain %q", err, tt.stopString)
			}
			if stop == nil && err != nil && err != tt.wantErr {
				t.Errorf("a final error %#v, want %#v as the attempt returned it", err, tt.wantErr)
			}
		})
	}
}
