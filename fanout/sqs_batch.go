package fanout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// SQSBatch is a Queue over the records of one Lambda SQS event, for a
// worker invoked by an SQS event source mapping: no polling, Lambda has
// done it. Receive yields the records holding valid units, in order, then
// ErrClosed; Ack marks a record done (Lambda deletes it when the
// invocation succeeds); Response lists every record not acked as a batch
// item failure, so SQS delivers it again after its visibility timeout and
// moves it to the dead-letter queue after maxReceiveCount. The event
// source mapping must have FunctionResponseTypes ["ReportBatchItemFailures"].
//
// A record whose body is not a valid unit is logged with its message ID
// and reported failed, as is a FIFO retry received before its time
// (hidden for the rest of its delay when the batch has a queue). Send
// goes to the batch's queue: retries are new messages on it.
type SQSBatch struct {
	q       *SQS
	log     *slog.Logger
	records []events.SQSMessage
	// now is the clock for FIFO delays: q's, or time.Now.
	now func() time.Time

	mu    sync.Mutex
	next  int
	acked []bool
}

// NewSQSBatch returns a Queue over ev's records. q is the queue the event
// source mapping reads: Send sends on it, and Receive changes visibility
// through it. q may be nil for a worker that never sends; its Send then
// fails. logger nil means slog.Default(). Records from another queue than
// q are an error.
func NewSQSBatch(ev events.SQSEvent, q *SQS, logger *slog.Logger) (*SQSBatch, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if q != nil {
		want := q.url[strings.LastIndexByte(q.url, '/')+1:]
		for _, r := range ev.Records {
			// arn:aws:sqs:region:account:name
			if name := r.EventSourceARN[strings.LastIndexByte(r.EventSourceARN, ':')+1:]; name != want {
				return nil, fmt.Errorf("fanout: sqs batch: record %s comes from queue %q (eventSourceARN %q), not the batch's queue %q", r.MessageId, name, r.EventSourceARN, want)
			}
		}
	}
	now := time.Now
	if q != nil {
		now = q.cfg.Now
	}
	return &SQSBatch{q: q, log: logger, records: ev.Records, now: now, acked: make([]bool, len(ev.Records))}, nil
}

// Send enqueues units on the batch's queue.
func (b *SQSBatch) Send(ctx context.Context, delay time.Duration, units ...Unit) error {
	if b.q == nil {
		return errors.New("fanout: sqs batch: no queue to send to")
	}
	return b.q.Send(ctx, delay, units...)
}

// Receive returns the next record holding a unit due now, or ErrClosed
// when none is left.
func (b *SQSBatch) Receive(ctx context.Context) (Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b.mu.Lock()
		i := b.next
		if i >= len(b.records) {
			b.mu.Unlock()
			return nil, ErrClosed
		}
		b.next++
		b.mu.Unlock()
		r := b.records[i]
		rec := received{id: r.MessageId, receipt: r.ReceiptHandle, body: r.Body, receiveCount: atoiOr(r.Attributes["ApproximateReceiveCount"], 1)}
		if a, ok := r.MessageAttributes[NotBeforeAttribute]; ok && a.StringValue != nil {
			rec.notBefore = *a.StringValue
		}
		if u, ok := admit(ctx, b.q, b.log, b.now(), rec); ok {
			return &batchMessage{b: b, i: i, u: u}, nil
		}
	}
}

// Response is the invocation's answer: the message IDs of the records not
// acked, in order.
func (b *SQSBatch) Response() events.SQSEventResponse {
	b.mu.Lock()
	defer b.mu.Unlock()
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for i, r := range b.records {
		if !b.acked[i] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	return resp
}

type batchMessage struct {
	b *SQSBatch
	i int
	u Unit
}

func (m *batchMessage) Unit() Unit { return m.u }

// ID is the record's SQS message ID.
func (m *batchMessage) ID() string { return m.b.records[m.i].MessageId }

func (m *batchMessage) Ack(context.Context) error {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	if m.b.acked[m.i] {
		return fmt.Errorf("fanout: sqs batch: unit %q (message %s) acked twice", m.u.ID, m.b.records[m.i].MessageId)
	}
	m.b.acked[m.i] = true
	return nil
}
