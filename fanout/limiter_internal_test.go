package fanout

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// fakeClock drives a Limiter's cut and hold decisions.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestLimiterAIMD(t *testing.T) {
	type step struct {
		after    time.Duration // clock advance before the events
		throttle int           // throttles seen
		success  int           // successes seen
		rate     float64       // rate afterwards
	}
	tests := []struct {
		name    string
		ceiling float64
		aimd    AIMD
		steps   []step
		cuts    int64
	}{
		{"a burst of 10 throttles cuts once", 10, AIMD{}, []step{{throttle: 10, rate: 7}}, 1},
		{"throttles within the interval do not cut again", 10, AIMD{}, []step{
			{throttle: 1, rate: 7}, {after: 999 * time.Millisecond, throttle: 3, rate: 7},
			{after: time.Millisecond, throttle: 1, rate: 4.9}}, 2},
		{"successes right after a cut recover at once", 10, AIMD{}, []step{
			{throttle: 1, rate: 7}, {after: 100 * time.Millisecond, success: 1, rate: 9},
			{success: 1, rate: 10}}, 1},
		{"additive increase up to the ceiling", 10, AIMD{}, []step{
			{throttle: 1, rate: 7}, {after: time.Second, success: 1, rate: 9},
			{success: 100, rate: 10}}, 1},
		{"random throttles every 5th call keep the rate high", 5, AIMD{}, []step{
			{throttle: 1, rate: 3.5}, {after: 250 * time.Millisecond, success: 4, rate: 5},
			{after: 250 * time.Millisecond, throttle: 1, rate: 5}, {after: 500 * time.Millisecond, success: 4, rate: 5},
			{throttle: 1, rate: 3.5}, {success: 1, rate: 4.5}}, 2},
		{"a sustained throttle cuts once a second down to the floor", 10, AIMD{Decrease: 0.5}, []step{
			{throttle: 1, rate: 5}, {after: time.Second, throttle: 1, rate: 2.5},
			{after: time.Second, throttle: 1, rate: 1.25}, {after: time.Second, throttle: 1, rate: 0.625},
			{after: time.Second, throttle: 1, rate: 0.5}, {after: time.Second, throttle: 1, rate: 0.5}}, 6},
		{"floor is at least 0.1/s", 1, AIMD{Decrease: 0.1}, []step{
			{throttle: 1, rate: 0.1}, {after: time.Second, throttle: 1, rate: 0.1}}, 2},
		{"a ceiling under 0.1/s is its own floor", 0.05, AIMD{}, []step{{throttle: 1, rate: 0.05}}, 1},
		{"custom decrease, increase and interval", 100, AIMD{Decrease: 0.8, Increase: 0.1, CutInterval: 10 * time.Millisecond}, []step{
			{throttle: 2, rate: 80}, {after: 10 * time.Millisecond, throttle: 1, rate: 64},
			{after: 10 * time.Millisecond, success: 2, rate: 84}}, 2},
		{"success at the ceiling stays there", 10, AIMD{}, []step{{success: 5, rate: 10}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewLimiter(rate.Limit(tt.ceiling), 1, tt.aimd)
			if err != nil {
				t.Fatal(err)
			}
			clk := &fakeClock{t: time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)}
			l.now = clk.now
			var throttles int64
			for i, s := range tt.steps {
				clk.advance(s.after)
				for range s.throttle {
					l.Throttled()
				}
				for range s.success {
					l.Succeeded()
				}
				throttles += int64(s.throttle)
				if got := l.Rate(); math.Abs(got-s.rate) > 1e-9 {
					t.Fatalf("step %d: rate %v, want %v", i, got, s.rate)
				}
				if got := float64(l.lim.Limit()); math.Abs(got-s.rate) > 1e-9 {
					t.Fatalf("step %d: token bucket at %v, want %v", i, got, s.rate)
				}
			}
			st := l.Stats()
			if st.Cuts != tt.cuts || st.Throttles != throttles || st.Ceiling != tt.ceiling {
				t.Errorf("stats %+v, want %d cuts, %d throttles", st, tt.cuts, throttles)
			}
		})
	}
}

func TestLimiterWait(t *testing.T) {
	// 0.1/s: after the first token the next is 10 s away.
	l, err := NewLimiter(0.1, 1, AIMD{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Fatalf("first Wait: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = l.Wait(ctx)
	if !errors.Is(err, ErrWouldExceedDeadline) {
		t.Fatalf("Wait with a token 10 s away and a 5 s deadline = %v, want ErrWouldExceedDeadline", err)
	}
	// It returned at once: the deadline has not passed.
	if ctx.Err() != nil {
		t.Errorf("Wait returned only after the deadline (%v)", ctx.Err())
	}
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := l.Wait(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled ctx = %v", err)
	}
	// A deadline the token can meet waits for it.
	fast, _ := NewLimiter(1000, 1, AIMD{})
	ctx3, cancel3 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel3()
	for range 3 {
		if err := fast.Wait(ctx3); err != nil {
			t.Fatalf("Wait at 1000/s: %v", err)
		}
	}
	if st := fast.Stats(); st.Waits != 3 || st.Waited <= 0 {
		t.Errorf("stats %+v, want 3 waits and some time waited", st)
	}
}

func TestLimiterConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		ceiling rate.Limit
		burst   int
		aimd    AIMD
		want    string
	}{
		{"zero ceiling", 0, 1, AIMD{}, "ceiling 0"},
		{"infinite ceiling", rate.Inf, 1, AIMD{}, "positive finite"},
		{"zero burst", 1, 0, AIMD{}, "burst 0"},
		{"decrease 1", 1, 1, AIMD{Decrease: 1}, "Decrease 1"},
		{"increase over 1", 1, 1, AIMD{Increase: 2}, "Increase 2"},
		{"negative floor", 1, 1, AIMD{Floor: -0.1}, "Floor -0.1"},
		{"negative interval", 1, 1, AIMD{CutInterval: -time.Second}, "CutInterval -1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewLimiter(tt.ceiling, tt.burst, tt.aimd)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewLimiter = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name     string
		attempt  int
		r        float64
		min, max time.Duration
	}{
		{"first retry, no jitter drawn", 1, 0, 500 * time.Millisecond, 500 * time.Millisecond},
		{"first retry, top of the range", 1, 0.999999, 999 * time.Millisecond, time.Second},
		{"second retry doubles", 2, 0.5, 1500 * time.Millisecond, 1500 * time.Millisecond},
		{"third retry", 3, 0, 2 * time.Second, 2 * time.Second},
		{"capped at MaxDelay", 20, 1, 30 * time.Second, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := backoff(time.Second, 30*time.Second, tt.attempt, tt.r)
			if d < tt.min || d > tt.max {
				t.Errorf("backoff(attempt %d, r %v) = %v, want in [%v, %v]", tt.attempt, tt.r, d, tt.min, tt.max)
			}
		})
	}
}
