package fanout

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdaudit/lambdaudit/awserr"
)

// Handler does the work of one unit. It must honour ctx. An error retries
// the unit unless it is Permanent or awserr classifies it as one a retry
// cannot fix (AccessDenied, bad credentials, NotFound, a bad request);
// ItemErrors is a partial success.
type Handler func(ctx context.Context, u Unit) error

// ErrUnknownKind is wrapped by Mux's error for a kind it has no handler for.
var ErrUnknownKind = errors.New("unknown unit kind")

// Mux dispatches units to handlers by Kind.
type Mux map[string]Handler

// Handle runs the handler of u.Kind; an unknown kind fails permanently.
func (m Mux) Handle(ctx context.Context, u Unit) error {
	h := m[u.Kind]
	if h == nil {
		return Permanent(fmt.Errorf("fanout: %w %q", ErrUnknownKind, u.Kind))
	}
	return h(ctx, u)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks an error that retrying cannot fix (AccessDenied, a bad
// request): the pool fails the unit at once. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err was marked by Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// retryable reports whether the pool tries a unit that failed with err
// again: not if it was marked Permanent, nor if it is an AWS error no
// retry can fix (awserr.Class.Retryable).
func retryable(err error) bool {
	return !IsPermanent(err) && awserr.Classify(err).Retryable()
}

// ItemErrors is what a handler returns when it did its unit's work except
// for some items (item → reason), e.g. a GetMetricData call whose queries
// for one function came back Forbidden: the unit is done, not retried, and
// those items are recorded failed with their reasons.
type ItemErrors map[string]string

// Error lists the first failed items in order.
func (e ItemErrors) Error() string {
	items := make([]string, 0, len(e))
	for it := range e {
		items = append(items, it)
	}
	sort.Strings(items)
	var b strings.Builder
	fmt.Fprintf(&b, "fanout: %d items failed", len(items))
	for i, it := range items {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(items)-i)
			break
		}
		fmt.Fprintf(&b, "; %s: %s", it, e[it])
	}
	return b.String()
}

// ErrInputClosed is returned by Submit after CloseInput.
var ErrInputClosed = errors.New("fanout: pool input closed")

// Config sets up a Pool. Zero fields take the defaults.
type Config struct {
	// Workers is the number of units handled at once (default 16).
	Workers int
	// MaxAttempts is how many times a unit is tried (default 3).
	MaxAttempts int
	// BaseDelay is the back-off before the first retry (default 1s); it
	// doubles per attempt up to MaxDelay (default 30s), and each delay
	// is drawn uniformly from its upper half (jitter). With SQS the
	// delay is DelaySeconds, at most 15 minutes.
	BaseDelay, MaxDelay time.Duration
	// UnitTimeout bounds one handler call (0 = no bound); running out of
	// it is a retryable failure.
	UnitTimeout time.Duration
	// OnFailure, when set, is told of every unit that failed for good —
	// invalid, not queued, failed permanently or on its last attempt —
	// with the error, before the unit is acked: the host records the
	// failure where its results live (a failure outcome in the store), so
	// a unit's items never vanish. When it returns an error (the record
	// could not be written) the message is not acked: the queue delivers
	// it again (SQS after its visibility timeout, and to the dead-letter
	// queue after maxReceiveCount) rather than the unit being lost. It is
	// not called for a unit left pending because ctx ended. ctx is the
	// run's, not cancelled.
	OnFailure func(ctx context.Context, u Unit, err error) error
}

func (c Config) withDefaults() (Config, error) {
	if c.Workers < 0 || c.MaxAttempts < 0 || c.BaseDelay < 0 || c.MaxDelay < 0 || c.UnitTimeout < 0 {
		return c, fmt.Errorf("fanout: pool config %+v: negative value", c)
	}
	if c.Workers == 0 {
		c.Workers = 16
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 3
	}
	if c.BaseDelay == 0 {
		c.BaseDelay = time.Second
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = 30 * time.Second
	}
	if c.MaxDelay < c.BaseDelay {
		return c, fmt.Errorf("fanout: pool config: MaxDelay %v is below BaseDelay %v", c.MaxDelay, c.BaseDelay)
	}
	return c, nil
}

// Stats are a pool's progress counters, for a progress display.
type Stats struct {
	// Submitted counts the units submitted, invalid ones included: the
	// total to do.
	Submitted int64 `json:"submitted"`
	// Done and Failed count units finished either way.
	Done   int64 `json:"done"`
	Failed int64 `json:"failed"`
	// Retries counts units sent back for another attempt.
	Retries int64 `json:"retries"`
	// InFlight is the number of units being handled now.
	InFlight int64 `json:"inFlight"`
	// AckErrors counts messages whose Ack failed; the queue will deliver
	// them again and the ledger ignores the duplicates.
	AckErrors int64 `json:"ackErrors"`
}

// Pool runs units from a queue through a handler with bounded workers,
// retrying failed units and recording every outcome in a Ledger.
type Pool struct {
	q      Queue
	h      Handler
	ledger *Ledger
	cfg    Config

	submitted, done, failed, retries, inflight, ackErrors atomic.Int64

	mu          sync.Mutex
	pending     map[string]struct{}
	inputClosed bool
	idle        chan struct{}
	idleClosed  bool
	running     bool
}

// NewPool returns a pool that takes units from q, runs h on them and
// records the outcomes in ledger.
func NewPool(q Queue, h Handler, ledger *Ledger, cfg Config) (*Pool, error) {
	if q == nil || h == nil || ledger == nil {
		return nil, errors.New("fanout: pool needs a queue, a handler and a ledger")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Pool{q: q, h: h, ledger: ledger, cfg: cfg, pending: map[string]struct{}{}, idle: make(chan struct{})}, nil
}

// Submit records the units in the ledger and sends them on the queue. An
// invalid unit is recorded failed with the reason and not sent; a unit ID
// already submitted is an error. When the queue refuses the units they
// are recorded failed and the error returned. Submit may be called while
// Run is running, until CloseInput.
func (p *Pool) Submit(ctx context.Context, units ...Unit) error {
	p.mu.Lock()
	if p.inputClosed {
		p.mu.Unlock()
		return ErrInputClosed
	}
	var errs []error
	send := make([]Unit, 0, len(units))
	for _, u := range units {
		if err := u.Validate(); err != nil {
			p.submitted.Add(1)
			p.failed.Add(1)
			p.ledger.Failed(u, err.Error(), 0)
			_ = p.onFailure(ctx, u, err) // never queued: no message to keep
			continue
		}
		if err := p.ledger.Sent(u); err != nil {
			errs = append(errs, err)
			continue
		}
		p.submitted.Add(1)
		p.pending[u.ID] = struct{}{}
		send = append(send, u)
	}
	p.mu.Unlock()
	if len(send) > 0 {
		if err := p.q.Send(ctx, 0, send...); err != nil {
			// A queue that names the units it did not send (*SendError:
			// SQS answers per entry) failed those alone; the rest are
			// queued and will run.
			failed := send
			var se *SendError
			if errors.As(err, &se) {
				not := map[string]bool{}
				for _, id := range se.UnitIDs() {
					not[id] = true
				}
				failed = failed[:0:0]
				for _, u := range send {
					if not[u.ID] {
						failed = append(failed, u)
					}
				}
			}
			for _, u := range failed {
				p.finishFailed(ctx, u, fmt.Errorf("not queued: %w", err), 0)
			}
			errs = append(errs, fmt.Errorf("fanout: submit %d units: %d not queued: %w", len(send), len(failed), err))
		}
	}
	return errors.Join(errs...)
}

// CloseInput says no more units will be submitted: Run returns once every
// submitted unit is done or failed.
func (p *Pool) CloseInput() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inputClosed = true
	p.checkIdle()
}

// checkIdle signals Run when there is nothing left to do. p.mu is held.
func (p *Pool) checkIdle() {
	if p.inputClosed && len(p.pending) == 0 && !p.idleClosed {
		p.idleClosed = true
		close(p.idle)
	}
}

// Stats returns the progress counters; safe to call at any time.
func (p *Pool) Stats() Stats {
	return Stats{
		Submitted: p.submitted.Load(),
		Done:      p.done.Load(),
		Failed:    p.failed.Load(),
		Retries:   p.retries.Load(),
		InFlight:  p.inflight.Load(),
		AckErrors: p.ackErrors.Load(),
	}
}

// Run handles units with Config.Workers workers until the input is closed
// and every submitted unit is done or failed (nil), the queue reports
// ErrClosed to every worker (nil), the queue fails (that error), or ctx
// is done (ctx.Err(); handlers in flight see ctx cancelled, units not
// finished stay pending in the ledger and unacked on the queue). Every
// worker has returned when Run returns. Run may be called once.
func (p *Pool) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		return errors.New("fanout: pool already ran")
	}
	p.running = true
	p.mu.Unlock()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for range p.cfg.Workers {
		wg.Go(func() {
			if err := p.work(runCtx); err != nil {
				errOnce.Do(func() { firstErr = err })
				cancel()
			}
		})
	}
	workersDone := make(chan struct{})
	go func() {
		wg.Wait()
		close(workersDone)
	}()
	select {
	case <-p.idle:
		cancel()
		<-workersDone
	case <-workersDone:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return firstErr
}

func (p *Pool) work(ctx context.Context) error {
	for {
		msg, err := p.q.Receive(ctx)
		if err != nil {
			if errors.Is(err, ErrClosed) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("fanout: receive: %w", err)
		}
		if ctx.Err() != nil {
			// Stopping: leave the message unacked for redelivery.
			return nil
		}
		p.process(ctx, msg)
	}
}

// process handles one delivery: validate, call, then done, retry or fail.
func (p *Pool) process(ctx context.Context, msg Message) {
	p.inflight.Add(1)
	defer p.inflight.Add(-1)
	u := msg.Unit()
	if err := u.Validate(); err != nil {
		if p.finishFailed(ctx, u, err, 0) {
			p.ack(ctx, msg)
		}
		return
	}
	err := p.call(ctx, u)
	var itemErrs ItemErrors
	if err == nil || errors.As(err, &itemErrs) {
		p.ledger.DoneExcept(u, itemErrs)
		p.done.Add(1)
		p.finish(u)
		p.ack(ctx, msg)
		return
	}
	if ctx.Err() != nil {
		// The run is stopping: leave the unit pending and unacked.
		return
	}
	attempts := u.Attempt + 1
	if !retryable(err) || attempts >= p.cfg.MaxAttempts {
		if p.finishFailed(ctx, u, err, attempts) {
			p.ack(ctx, msg)
		}
		return
	}
	next := u
	next.Attempt = attempts
	if serr := p.q.Send(ctx, backoff(p.cfg.BaseDelay, p.cfg.MaxDelay, attempts, rand.Float64()), next); serr != nil {
		if ctx.Err() != nil {
			return
		}
		if p.finishFailed(ctx, u, fmt.Errorf("%w (retry not queued: %v)", err, serr), attempts) {
			p.ack(ctx, msg)
		}
		return
	}
	p.retries.Add(1)
	p.ack(ctx, msg)
}

// call runs the handler, turning a panic into a permanent failure.
func (p *Pool) call(ctx context.Context, u Unit) (err error) {
	if p.cfg.UnitTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.UnitTimeout)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			err = Permanent(fmt.Errorf("handler panic: %v", r))
		}
	}()
	return p.h(ctx, u)
}

// finishFailed records a unit failed for good; recorded is false when
// Config.OnFailure could not record it, and its message must then stay
// unacked.
func (p *Pool) finishFailed(ctx context.Context, u Unit, err error, attempts int) (recorded bool) {
	p.ledger.Failed(u, err.Error(), attempts)
	p.failed.Add(1)
	recorded = p.onFailure(ctx, u, err) == nil
	p.finish(u)
	return recorded
}

// onFailure tells Config.OnFailure, with a ctx that is not cancelled.
func (p *Pool) onFailure(ctx context.Context, u Unit, err error) error {
	if p.cfg.OnFailure != nil {
		return p.cfg.OnFailure(context.WithoutCancel(ctx), u, err)
	}
	return nil
}

func (p *Pool) finish(u Unit) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pending, u.ID)
	p.checkIdle()
}

// ack acks a finished message even if ctx has just been cancelled, so the
// bookkeeping already done is not undone by a redelivery.
func (p *Pool) ack(ctx context.Context, msg Message) {
	if err := msg.Ack(context.WithoutCancel(ctx)); err != nil {
		p.ackErrors.Add(1)
	}
}

// backoff is the delay before attempt+1: base·2^(attempt-1) capped at maxDelay,
// drawn from its upper half by r in [0, 1).
func backoff(base, maxDelay time.Duration, attempt int, r float64) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	if d > maxDelay {
		d = maxDelay
	}
	return d/2 + time.Duration(r*float64(d/2))
}
