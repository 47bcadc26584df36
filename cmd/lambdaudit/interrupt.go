package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lambdaudit/lambdaudit/scanner"
)

// Exit codes of an interrupted run, as shells and CI runners expect them:
// 128 + the signal's number, and timeout(1)'s 124 for --timeout.
const (
	exitInterrupt = 130 // SIGINT
	exitTerminate = 143 // SIGTERM
	exitTimeout   = 124 // --timeout
)

// interruption is why a run was stopped: the cause of its context.
type interruption struct {
	reason string // scanner.Interrupt*
	code   int
	what   string
}

func (i *interruption) Error() string { return "interrupted by " + i.what }

// signalInterruption is the interruption of a signal.
func signalInterruption(s os.Signal) *interruption {
	if s == syscall.SIGTERM {
		return &interruption{reason: scanner.InterruptTerminate, code: exitTerminate, what: "SIGTERM"}
	}
	return &interruption{reason: scanner.InterruptSignal, code: exitInterrupt, what: "SIGINT"}
}

// timeoutInterruption is the interruption of --timeout d.
func timeoutInterruption(d time.Duration) *interruption {
	return &interruption{reason: scanner.InterruptTimeout, code: exitTimeout, what: "--timeout " + d.String()}
}

// interruptedBy is why ctx was stopped, or nil when it was not
// interrupted (or only for another reason).
func interruptedBy(ctx context.Context) *interruption {
	var i *interruption
	if errors.As(context.Cause(ctx), &i) {
		return i
	}
	return nil
}

// withTimeout is ctx ending after d (no limit for d ≤ 0) with the
// --timeout interruption as its cause.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, d, timeoutInterruption(d))
}

// asInterrupted turns err into the interruption's exit when ctx was
// interrupted, saying what was kept; other errors are returned as they
// are.
func asInterrupted(ctx context.Context, err error, kept string) error {
	i := interruptedBy(ctx)
	if i == nil || err == nil {
		return err
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.code == i.code {
		return err
	}
	return &exitError{code: i.code, err: fmt.Errorf("%s: %s", i, kept)}
}

// signalContext is the process's root context: the first SIGINT or
// SIGTERM cancels it with its interruption as the cause (the command
// stops cleanly and writes what it has); a second one exits at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			i := signalInterruption(s)
			// Neutral: what is kept depends on the command (scan writes its
			// partial result, sim nothing): the command says what it kept.
			fmt.Fprintf(os.Stderr, "\nlambdaudit: %s: stopping (again to exit now)\n", i.what)
			cancel(i)
			select {
			case s := <-sigs:
				os.Exit(signalInterruption(s).code)
			case <-done:
			}
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// InterruptReason is the scanner.Interrupt* reason of the interruption
// (packages that cannot see this type read it from the context's cause).
func (i *interruption) InterruptReason() string { return i.reason }
