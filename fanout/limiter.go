package fanout

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// ErrWouldExceedDeadline is wrapped by Limiter.Wait when the token would
// come after ctx's deadline; Wait then returns at once without a token.
var ErrWouldExceedDeadline = errors.New("rate limit wait would exceed the context deadline")

// MinRate is the lowest rate a throttled Limiter is cut to (unless its
// ceiling is lower): 0.1 requests/s.
const MinRate = 0.1

// AIMD sets how a Limiter adapts; zero fields take the defaults.
//
// The rule: a throttle multiplies the rate by Decrease, but not below the
// floor, and not again until CutInterval has passed since the last cut —
// the calls in flight when the first throttle came back were admitted at
// the old rate, so their throttles say nothing new, and a burst of them
// cuts once. Each success adds Increase × ceiling, up to the ceiling.
//
// The defaults (cut to 0.7, +20 % of the ceiling per success, one cut a
// second) come from the benchmark: a limiter that also held its rate for
// a second after each cut, or cut by half, sank towards its floor under
// AWS-style random throttling (20 % of calls, unrelated to the rate) on
// slow APIs such as GetResources at 5 requests/s, where a throttle comes
// about every second. These recover within two successes yet still
// back off, once a second, under a sustained throttle; `lambdaudit bench
// --fault throttlePct=20` measures the difference.
type AIMD struct {
	// Decrease multiplies the rate on a throttle: in (0, 1), default 0.7.
	Decrease float64
	// Increase is the share of the ceiling added per success: in (0, 1],
	// default 0.2.
	Increase float64
	// Floor is the lowest rate as a share of the ceiling: in (0, 1],
	// default 0.05; the floor is at least MinRate.
	Floor float64
	// CutInterval is the shortest time between two cuts: default 1s,
	// AWS's quota window.
	CutInterval time.Duration
}

func (a AIMD) withDefaults() (AIMD, error) {
	if a.Decrease == 0 {
		a.Decrease = 0.7
	}
	if a.Increase == 0 {
		a.Increase = 0.2
	}
	if a.Floor == 0 {
		a.Floor = 0.05
	}
	if a.CutInterval == 0 {
		a.CutInterval = time.Second
	}
	switch {
	case !(a.Decrease > 0 && a.Decrease < 1):
		return a, fmt.Errorf("fanout: AIMD Decrease %v: must be in (0, 1)", a.Decrease)
	case !(a.Increase > 0 && a.Increase <= 1):
		return a, fmt.Errorf("fanout: AIMD Increase %v: must be in (0, 1]", a.Increase)
	case !(a.Floor > 0 && a.Floor <= 1):
		return a, fmt.Errorf("fanout: AIMD Floor %v: must be in (0, 1]", a.Floor)
	case a.CutInterval < 0:
		return a, fmt.Errorf("fanout: AIMD CutInterval %v: must not be negative", a.CutInterval)
	}
	return a, nil
}

// Limiter is a token bucket (golang.org/x/time/rate) whose rate adapts to
// throttles by AIMD between a floor and its ceiling. It is safe for
// concurrent use.
type Limiter struct {
	lim                            *rate.Limiter
	ceiling, floor, step, decrease float64
	cutInterval                    time.Duration
	now                            func() time.Time

	mu      sync.Mutex
	cur     float64
	lastCut time.Time

	waits, throttles, cuts, waited atomic.Int64
}

// NewLimiter returns a limiter running at ceiling requests/s with the
// given burst (≥ 1), adapting by a.
func NewLimiter(ceiling rate.Limit, burst int, a AIMD) (*Limiter, error) {
	c := float64(ceiling)
	if !(c > 0) || math.IsInf(c, 0) || ceiling == rate.Inf {
		return nil, fmt.Errorf("fanout: limiter ceiling %v: must be a positive finite rate", c)
	}
	if burst < 1 {
		return nil, fmt.Errorf("fanout: limiter burst %d: must be at least 1", burst)
	}
	a, err := a.withDefaults()
	if err != nil {
		return nil, err
	}
	floor := math.Min(c, math.Max(a.Floor*c, MinRate))
	return &Limiter{
		lim:     rate.NewLimiter(ceiling, burst),
		ceiling: c, floor: floor, step: a.Increase * c, decrease: a.Decrease,
		cutInterval: a.CutInterval, now: time.Now, cur: c,
	}, nil
}

// Wait blocks until the limiter allows one call. When ctx's deadline
// comes before the token would, it returns at once an error wrapping
// ErrWouldExceedDeadline; when ctx is done, ctx's error.
func (l *Limiter) Wait(ctx context.Context) error {
	start := time.Now()
	err := l.lim.Wait(ctx)
	l.waited.Add(int64(time.Since(start)))
	if err == nil {
		l.waits.Add(1)
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("fanout: rate limit wait: %w", cerr)
	}
	return fmt.Errorf("fanout: at %.3g requests/s: %w", float64(l.lim.Limit()), ErrWouldExceedDeadline)
}

// Throttled records a throttle and cuts the rate unless it was cut less
// than CutInterval ago; it reports whether it cut.
func (l *Limiter) Throttled() bool {
	l.throttles.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.lastCut.IsZero() && now.Sub(l.lastCut) < l.cutInterval {
		return false
	}
	l.lastCut = now
	l.cuts.Add(1)
	l.set(math.Max(l.floor, l.cur*l.decrease))
	return true
}

// Succeeded records a call that was not throttled: the rate grows by one
// step towards the ceiling.
func (l *Limiter) Succeeded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur >= l.ceiling {
		return
	}
	l.set(math.Min(l.ceiling, l.cur+l.step))
}

func (l *Limiter) set(r float64) {
	l.cur = r
	l.lim.SetLimit(rate.Limit(r))
}

// Rate is the current rate in requests/s.
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

// LimiterStats are a limiter's counters.
type LimiterStats struct {
	// Rate is the current rate, Ceiling the highest, in requests/s.
	Rate    float64 `json:"rate"`
	Ceiling float64 `json:"ceiling"`
	// Waits counts the tokens granted; Waited sums the time spent waiting.
	Waits  int64         `json:"waits"`
	Waited time.Duration `json:"waitedNs"`
	// Throttles counts the throttles seen, Cuts the rate cuts they caused.
	Throttles int64 `json:"throttles"`
	Cuts      int64 `json:"cuts"`
}

// Stats returns the counters.
func (l *Limiter) Stats() LimiterStats {
	return LimiterStats{
		Rate: l.Rate(), Ceiling: l.ceiling,
		Waits: l.waits.Load(), Waited: time.Duration(l.waited.Load()),
		Throttles: l.throttles.Load(), Cuts: l.cuts.Load(),
	}
}
