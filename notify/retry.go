package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Retrier is the one retry policy of the Slack and Opsgenie senders, after
// Alertmanager's notify.Retrier: each attempt says whether its failure is
// worth another try, (retry bool, err error); the Retrier waits (the
// server's Retry-After when it gave one, else an exponential back-off)
// and tries again, bounded by Attempts, MaxElapsed and ctx. It logs
// nothing: the sender that handles the outcome logs it, once.
type Retrier struct {
	// Attempts is how many times a request is tried, the first included
	// (0: 1, no retry).
	Attempts int
	// Base is the first back-off, doubled on each back-off up to Max. A
	// Retry-After (RetryAfter) wins over the back-off and does not
	// advance it.
	Base, Max time.Duration
	// MaxWait is the longest Retry-After accepted; a longer one stops at
	// once (0: no limit).
	MaxWait time.Duration
	// MaxElapsed bounds the whole: a wait that would end later than
	// MaxElapsed after the first attempt stops instead (0: no limit).
	MaxElapsed time.Duration
	// Sleep waits d or until ctx ends (nil: a timer); tests record.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock MaxElapsed is read on (nil: time.Now).
	Now func() time.Time
	// OnRetry, if set, is told of each retry before its wait.
	OnRetry func(attempt int, wait time.Duration, err error)
}

// Why a Retrier stopped retrying a retryable failure.
const (
	// StopAttempts: Attempts were made.
	StopAttempts = "attempts"
	// StopElapsed: the next wait would pass MaxElapsed.
	StopElapsed = "elapsed"
	// StopRetryAfter: the server asked for a wait longer than MaxWait.
	StopRetryAfter = "retry-after"
	// StopCanceled: ctx ended (after a failed attempt or while waiting).
	StopCanceled = "canceled"
)

// RetryStop is Do's error when it gave up on a failure that was worth
// retrying: Err is the last attempt's error (without its RetryAfter
// wrapper), or ctx's error when Why is StopCanceled.
type RetryStop struct {
	Why      string
	Attempts int
	// Wait is the wait refused (StopRetryAfter, StopElapsed).
	Wait time.Duration
	Err  error
}

func (e *RetryStop) Error() string {
	switch e.Why {
	case StopAttempts:
		return fmt.Sprintf("%v (gave up after %d attempts)", e.Err, e.Attempts)
	case StopElapsed:
		return fmt.Sprintf("%v (gave up after %d attempts: a %s wait would pass the time allowed)", e.Err, e.Attempts, e.Wait)
	case StopRetryAfter:
		return fmt.Sprintf("%v (Retry-After %s is longer than the sender waits)", e.Err, e.Wait)
	}
	return e.Err.Error()
}

func (e *RetryStop) Unwrap() error { return e.Err }

// retryAfterError carries a server's Retry-After with an attempt's error.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter returns err with the wait the server asked for (a 429's or
// a 503's Retry-After) for the Retrier to honour; d ≤ 0 or a nil err
// returns err as is.
func RetryAfter(err error, d time.Duration) error {
	if err == nil || d <= 0 {
		return err
	}
	return &retryAfterError{err: err, after: d}
}

// Do calls try (attempt numbered from 1) until it returns a nil error,
// or a failure with retry false (Do returns that error as is), or it
// must stop: then Do returns a *RetryStop. It returns the attempts made.
func (r Retrier) Do(ctx context.Context, try func(ctx context.Context, attempt int) (retry bool, err error)) (int, error) {
	sleep, now := r.Sleep, r.Now
	if sleep == nil {
		sleep = Sleep
	}
	if now == nil {
		now = time.Now
	}
	start := now()
	backoff := r.Base
	for attempt := 1; ; attempt++ {
		retry, err := try(ctx, attempt)
		if err == nil {
			return attempt, nil
		}
		var ra *retryAfterError
		var after time.Duration
		if errors.As(err, &ra) {
			after = ra.after
			if ra == err {
				err = ra.err
			}
		}
		if !retry {
			return attempt, err
		}
		if ctx.Err() != nil {
			return attempt, &RetryStop{Why: StopCanceled, Attempts: attempt, Err: ctx.Err()}
		}
		if attempt >= max(r.Attempts, 1) {
			return attempt, &RetryStop{Why: StopAttempts, Attempts: attempt, Err: err}
		}
		wait := after
		if wait > 0 {
			if r.MaxWait > 0 && wait > r.MaxWait {
				return attempt, &RetryStop{Why: StopRetryAfter, Attempts: attempt, Wait: wait, Err: err}
			}
		} else {
			wait = backoff
			backoff *= 2
			if r.Max > 0 {
				backoff = min(backoff, r.Max)
			}
		}
		if r.MaxElapsed > 0 && now().Add(wait).Sub(start) > r.MaxElapsed {
			return attempt, &RetryStop{Why: StopElapsed, Attempts: attempt, Wait: wait, Err: err}
		}
		if r.OnRetry != nil {
			r.OnRetry(attempt, wait, err)
		}
		if wait > 0 {
			if serr := sleep(ctx, wait); serr != nil {
				return attempt, &RetryStop{Why: StopCanceled, Attempts: attempt, Err: serr}
			}
		} else if ctx.Err() != nil {
			return attempt, &RetryStop{Why: StopCanceled, Attempts: attempt, Err: ctx.Err()}
		}
	}
}

// Sleep waits d, or until ctx ends (then it returns ctx's error): the
// Retrier's wait unless Retrier.Sleep is set, and the senders' default.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
