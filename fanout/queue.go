package fanout

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrClosed is returned by Receive when a queue is closed and has nothing
// left to deliver, and by Send after Close.
var ErrClosed = errors.New("fanout: queue closed")

// Queue carries units to the workers, at least once.
//
// An SQS implementation maps Send to SendMessageBatch (DelaySeconds for
// delay, up to 15 minutes), Receive to a long-polling ReceiveMessage, and
// Message.Ack to DeleteMessage with the receipt handle; a message never
// acked becomes visible again after its visibility timeout. In a Lambda
// worker fed by an SQS event source, Receive yields the event's records
// and then ErrClosed, and the records not acked become the response's
// BatchItemFailures.
type Queue interface {
	// Send enqueues units, each deliverable after delay.
	Send(ctx context.Context, delay time.Duration, units ...Unit) error
	// Receive blocks until a unit is deliverable, ctx is done (its
	// error), or the queue is closed and drained (ErrClosed).
	Receive(ctx context.Context) (Message, error)
}

// Message is one delivery of a unit.
type Message interface {
	// Unit is the unit delivered.
	Unit() Unit
	// Ack removes the message for good. The pool acks every message it
	// has finished with: done, failed, or re-sent as a retry.
	Ack(ctx context.Context) error
}

// Memory is an in-memory Queue. Units travel as JSON, as they would on
// SQS, so a unit that works here survives the real queue. The zero value
// is not usable; call NewMemory.
type Memory struct {
	mu      sync.Mutex
	ready   [][]byte
	delayed delayHeap
	// wake is closed and replaced whenever something is enqueued or the
	// queue closes, waking every blocked Receive.
	wake     chan struct{}
	closed   bool
	inflight int
	seq      int64
}

// NewMemory returns an empty open queue.
func NewMemory() *Memory { return &Memory{wake: make(chan struct{})} }

// Send enqueues the units; after Close it fails with ErrClosed.
func (m *Memory) Send(ctx context.Context, delay time.Duration, units ...Unit) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fanout: memory queue send: %w", err)
	}
	bodies := make([][]byte, len(units))
	for i := range units {
		b, err := json.Marshal(units[i])
		if err != nil {
			return fmt.Errorf("fanout: memory queue send unit %q: %w", units[i].ID, err)
		}
		bodies[i] = b
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if delay <= 0 {
		m.ready = append(m.ready, bodies...)
	} else {
		due := time.Now().Add(delay)
		for _, b := range bodies {
			m.seq++
			heap.Push(&m.delayed, delayed{due: due, seq: m.seq, body: b})
		}
	}
	m.broadcast()
	return nil
}

// Receive returns the next deliverable unit, waiting for one.
func (m *Memory) Receive(ctx context.Context) (Message, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m.mu.Lock()
		now := time.Now()
		for len(m.delayed) > 0 && !m.delayed[0].due.After(now) {
			m.ready = append(m.ready, heap.Pop(&m.delayed).(delayed).body)
		}
		if len(m.ready) > 0 {
			b := m.ready[0]
			m.ready[0] = nil
			m.ready = m.ready[1:]
			m.inflight++
			m.mu.Unlock()
			var u Unit
			if err := json.Unmarshal(b, &u); err != nil {
				// Send encoded it; this cannot fail short of a bug.
				return nil, fmt.Errorf("fanout: memory queue: decode unit: %w", err)
			}
			return &memMessage{q: m, u: u}, nil
		}
		if m.closed && len(m.delayed) == 0 {
			m.mu.Unlock()
			return nil, ErrClosed
		}
		var tc <-chan time.Time
		if len(m.delayed) > 0 {
			d := m.delayed[0].due.Sub(now)
			if timer == nil {
				timer = time.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			tc = timer.C
		}
		wake := m.wake
		m.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wake:
		case <-tc:
		}
	}
}

// Close refuses further sends; Receive still delivers what is queued,
// delayed units included, then returns ErrClosed.
func (m *Memory) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		m.broadcast()
	}
}

// Len is the number of units queued, delayed ones included.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.ready) + len(m.delayed)
}

// InFlight is the number of units received and not yet acked.
func (m *Memory) InFlight() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.inflight
}

func (m *Memory) broadcast() {
	close(m.wake)
	m.wake = make(chan struct{})
}

type memMessage struct {
	q     *Memory
	u     Unit
	acked bool
}

func (mm *memMessage) Unit() Unit { return mm.u }

func (mm *memMessage) Ack(context.Context) error {
	mm.q.mu.Lock()
	defer mm.q.mu.Unlock()
	if mm.acked {
		return fmt.Errorf("fanout: memory queue: unit %q acked twice", mm.u.ID)
	}
	mm.acked = true
	mm.q.inflight--
	return nil
}

type delayed struct {
	due  time.Time
	seq  int64
	body []byte
}

// delayHeap orders delayed units by due time, then by send order.
type delayHeap []delayed

func (h delayHeap) Len() int { return len(h) }
func (h delayHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h delayHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)   { *h = append(*h, x.(delayed)) }
func (h *delayHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = delayed{}
	*h = old[:len(old)-1]
	return x
}
