package fanout

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/lambdaudit/lambdaudit/awserr"
)

// SQS's limits the SQS queue keeps to (Amazon SQS Developer Guide,
// "Amazon SQS message quotas"; the SDK's SendMessageBatch documentation).
const (
	// SQSMaxBatchEntries is the most messages one SendMessageBatch takes.
	SQSMaxBatchEntries = 10
	// SQSMaxBatchBytes bounds one message and the sum of a batch's
	// messages (body plus message attributes). It was 262,144 bytes
	// (256 KiB) until AWS raised it to 1 MiB in 2025.
	SQSMaxBatchBytes = 1 << 20
	// SQSMaxDelay is the longest DelaySeconds (900 s) and so the longest
	// delay Send honours; a longer one is clamped to it.
	SQSMaxDelay = 15 * time.Minute
	// SQSMaxWait is the longest long poll (WaitTimeSeconds 20).
	SQSMaxWait = 20 * time.Second
	// SQSMaxVisibility is the longest visibility timeout (12 hours).
	SQSMaxVisibility = 12 * time.Hour
)

// NotBeforeAttribute is the message attribute that carries a FIFO
// message's delay (Unix milliseconds): FIFO queues refuse a per-message
// DelaySeconds, so Receive hides an early message for the rest of its
// delay with ChangeMessageVisibility instead.
const NotBeforeAttribute = "lambdaudit.notBefore"

// sendAttempts is how often Send tries an entry that failed on AWS's
// side (a batch entry with SenderFault false, or a throttle).
const sendAttempts = 3

// SQSAPI is the part of the SQS client the SQS queue calls, with the
// SDK's exact signatures: *sqs.Client satisfies it, and so does a test
// fake.
type SQSAPI interface {
	SendMessageBatch(ctx context.Context, params *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	ReceiveMessage(ctx context.Context, params *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, params *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, params *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// SQSConfig sets up an SQS queue. Zero fields take the defaults.
type SQSConfig struct {
	// WaitTime is the long poll of one ReceiveMessage, rounded up to
	// whole seconds (default and most 20s).
	WaitTime time.Duration
	// MaxMessages is how many messages one ReceiveMessage asks for,
	// 1–10 (default 10). Receive hands them out one at a time; the ones
	// waiting their turn are invisible to other workers, so the queue's
	// visibility timeout must cover the wait plus the handling.
	MaxMessages int
	// VisibilityTimeout overrides the queue's visibility timeout for the
	// messages received (0 = the queue's; at most 12 hours).
	VisibilityTimeout time.Duration
	// RejectVisibility is how long a message that is not a valid unit
	// stays hidden before its next receive (default 1s): short, so it
	// reaches the redrive policy's maxReceiveCount, and so the DLQ,
	// within seconds and does not hold its FIFO group; not 0, so a queue
	// without a redrive policy is not polled in a hot loop. At most 15
	// minutes.
	RejectVisibility time.Duration
	// DedupScope is mixed into FIFO MessageDeduplicationIds, e.g. a
	// scan's ID: SQS drops a message whose deduplication ID it has seen
	// in the last 5 minutes, so two scans of the same units within 5
	// minutes need different scopes.
	DedupScope string
	// Logger receives one line per rejected message, deferral and
	// redelivery (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock for FIFO delays (default time.Now).
	Now func() time.Time
}

func (c SQSConfig) withDefaults() (SQSConfig, error) {
	var errs []string
	if c.WaitTime < 0 || c.WaitTime > SQSMaxWait {
		errs = append(errs, fmt.Sprintf("WaitTime %v is outside 0–%v", c.WaitTime, SQSMaxWait))
	}
	if c.MaxMessages < 0 || c.MaxMessages > SQSMaxBatchEntries {
		errs = append(errs, fmt.Sprintf("MaxMessages %d is outside 1–%d", c.MaxMessages, SQSMaxBatchEntries))
	}
	if c.VisibilityTimeout < 0 || c.VisibilityTimeout > SQSMaxVisibility {
		errs = append(errs, fmt.Sprintf("VisibilityTimeout %v is outside 0–%v", c.VisibilityTimeout, SQSMaxVisibility))
	}
	if c.RejectVisibility < 0 || c.RejectVisibility > SQSMaxDelay {
		errs = append(errs, fmt.Sprintf("RejectVisibility %v is outside 0–%v", c.RejectVisibility, SQSMaxDelay))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("fanout: sqs config: %s", strings.Join(errs, "; "))
	}
	if c.WaitTime == 0 {
		c.WaitTime = SQSMaxWait
	}
	if c.MaxMessages == 0 {
		c.MaxMessages = SQSMaxBatchEntries
	}
	if c.RejectVisibility == 0 {
		c.RejectVisibility = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// SQS is a Queue on an Amazon SQS queue, standard or FIFO (a FIFO
// queue's name ends in ".fifo", as AWS requires).
//
// Send encodes each unit as its JSON message body and sends them with
// SendMessageBatch, packed into batches of at most 10 messages and
// 1 MiB. A delay becomes DelaySeconds, rounded up to whole seconds and
// clamped to 15 minutes: SQS refuses a longer one, and a retry that runs
// sooner than asked beats a unit failed for want of a queue. On a FIFO
// queue, MessageGroupId is the unit's account/region, so SQS hands a
// pair's units to one consumer at a time, and MessageDeduplicationId is
// derived from DedupScope, the unit's ID and its attempt, so a resent
// batch is not enqueued twice while a retry (attempt+1) is. FIFO queues
// refuse a per-message DelaySeconds: the delay travels in the
// NotBeforeAttribute instead, and Receive hides a message received before
// its time with ChangeMessageVisibility for the rest of the delay, once
// (a deferral costs one receive of the redrive policy's maxReceiveCount).
// While it is hidden its message group waits too, which is what a retry
// after a throttle of that account and region wants.
//
// Receive long-polls ReceiveMessage and hands out the messages one at a
// time. A message whose body is not a valid unit is not returned (the
// Pool would ack it, deleting it) and never acked: it is logged with
// its message ID as a *BadMessageError, hidden for RejectVisibility, and
// left to the queue's redrive policy, which moves it to the dead-letter
// queue after maxReceiveCount receives. The queue must have a redrive
// policy. A unit delivered more often than expected (its handler's
// worker died before acking it) is logged with its ID and receive count
// each time; it too ends in the DLQ after maxReceiveCount.
//
// Message.Ack is DeleteMessage with the message's receipt handle.
type SQS struct {
	client SQSAPI
	url    string
	fifo   bool
	cfg    SQSConfig
	// sleep waits between attempts of failed batch entries; tests
	// replace it.
	sleep func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	buf     []*SQSMessage
	polling chan struct{} // closed when the poll in flight ends; nil if none
}

// NewSQS returns a queue on the SQS queue at queueURL.
func NewSQS(client SQSAPI, queueURL string, cfg SQSConfig) (*SQS, error) {
	if client == nil {
		return nil, errors.New("fanout: sqs: no client")
	}
	if queueURL == "" {
		return nil, errors.New("fanout: sqs: empty queue URL")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &SQS{client: client, url: queueURL, fifo: strings.HasSuffix(queueURL, ".fifo"), cfg: cfg, sleep: sleepCtx}, nil
}

// FIFO reports whether the queue is a FIFO queue.
func (q *SQS) FIFO() bool { return q.fifo }

// URL is the queue's URL.
func (q *SQS) URL() string { return q.url }

// SendFailure is one unit Send did not enqueue, and why.
type SendFailure struct {
	UnitID string
	// Code is SQS's error code for a failed batch entry, empty for a
	// failure of another kind.
	Code   string
	Reason string
}

// SendError lists the units Send did not enqueue; every unit not listed
// was enqueued.
type SendError struct {
	Failures []SendFailure
	// Total is the number of units Send was given.
	Total int
}

// UnitIDs are the IDs of the units not enqueued, in order.
func (e *SendError) UnitIDs() []string {
	ids := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		ids[i] = f.UnitID
	}
	return ids
}

// Error names the first units not sent and why.
func (e *SendError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fanout: sqs: %d of %d units not sent", len(e.Failures), e.Total)
	for i, f := range e.Failures {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Failures)-i)
			break
		}
		fmt.Fprintf(&b, "; %s: ", f.UnitID)
		if f.Code != "" {
			fmt.Fprintf(&b, "%s: ", f.Code)
		}
		b.WriteString(f.Reason)
	}
	return b.String()
}

// sqsEntry is one unit ready to send.
type sqsEntry struct {
	unitID string
	entry  types.SendMessageBatchRequestEntry
	size   int
}

// Send enqueues the units, each deliverable after delay. Units that
// cannot be sent (invalid, so Receive would reject them; a batch entry
// SQS refused; a failed call) are returned in a *SendError; the others
// are enqueued.
func (q *SQS) Send(ctx context.Context, delay time.Duration, units ...Unit) error {
	if len(units) == 0 {
		return nil
	}
	var failures []SendFailure
	entries := make([]sqsEntry, 0, len(units))
	now := q.cfg.Now()
	for _, u := range units {
		// A unit Receive would reject is not sent.
		if err := u.Validate(); err != nil {
			failures = append(failures, SendFailure{UnitID: u.ID, Reason: err.Error()})
			continue
		}
		e, err := q.entry(u, delay, now)
		if err != nil {
			failures = append(failures, SendFailure{UnitID: u.ID, Reason: err.Error()})
			continue
		}
		entries = append(entries, e)
	}
	batches, err := Pack(entries, []int{SQSMaxBatchEntries, SQSMaxBatchBytes}, func(e sqsEntry) []int { return []int{1, e.size} })
	if err != nil {
		// entry refused every message over the limit.
		return fmt.Errorf("fanout: sqs send: %w", err)
	}
	for i, batch := range batches {
		f, err := q.sendBatch(ctx, batch)
		failures = append(failures, f...)
		if err != nil {
			// The call itself failed after the SDK's retries (access
			// denied, no such queue, ctx done): the next would too.
			for _, rest := range batches[i+1:] {
				for _, e := range rest {
					failures = append(failures, SendFailure{UnitID: e.unitID, Reason: "not sent: an earlier batch failed: " + err.Error()})
				}
			}
			break
		}
	}
	if len(failures) > 0 {
		return &SendError{Failures: failures, Total: len(units)}
	}
	return nil
}

// entry encodes a unit as a batch entry and measures it.
func (q *SQS) entry(u Unit, delay time.Duration, now time.Time) (sqsEntry, error) {
	body, err := encodeBody(u)
	if err != nil {
		return sqsEntry{}, err
	}
	e := types.SendMessageBatchRequestEntry{MessageBody: aws.String(string(body))}
	size := len(body)
	secs := delaySeconds(delay)
	if q.fifo {
		e.MessageGroupId = aws.String(MessageGroupID(u))
		e.MessageDeduplicationId = aws.String(DeduplicationID(q.cfg.DedupScope, u))
		if secs > 0 {
			v := strconv.FormatInt(now.Add(time.Duration(secs)*time.Second).UnixMilli(), 10)
			e.MessageAttributes = map[string]types.MessageAttributeValue{
				NotBeforeAttribute: {DataType: aws.String("Number"), StringValue: aws.String(v)},
			}
			// SQS counts an attribute's name, type and value.
			size += len(NotBeforeAttribute) + len("Number") + len(v)
		}
	} else {
		e.DelaySeconds = secs
	}
	if size > SQSMaxBatchBytes {
		return sqsEntry{}, fmt.Errorf("message of %d bytes is over SQS's %d-byte limit", size, SQSMaxBatchBytes)
	}
	return sqsEntry{unitID: u.ID, entry: e, size: size}, nil
}

// encodeBody is the unit's JSON with U+FFFE and U+FFFF escaped: SQS
// refuses them in a body, and JSON only allows them inside strings,
// where the escape means the same.
func encodeBody(u Unit) ([]byte, error) {
	b, err := json.Marshal(u)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	b = bytes.ReplaceAll(b, []byte("\uFFFE"), []byte(`\ufffe`))
	b = bytes.ReplaceAll(b, []byte("\uFFFF"), []byte(`\uffff`))
	return b, nil
}

// delaySeconds is delay as DelaySeconds: rounded up to whole seconds (a
// retry is never due sooner than asked) and clamped to 0–900.
func delaySeconds(delay time.Duration) int32 {
	if delay <= 0 {
		return 0
	}
	if delay >= SQSMaxDelay {
		return int32(SQSMaxDelay / time.Second)
	}
	return int32((delay + time.Second - 1) / time.Second)
}

// sqsIDOK reports whether s can be a MessageGroupId or
// MessageDeduplicationId: 1–128 characters, each alphanumeric or ASCII
// punctuation.
func sqsIDOK(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// hashID is a valid SQS ID standing for s.
func hashID(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + hex.EncodeToString(sum[:])
}

// MessageGroupID is a unit's FIFO message group: its account/region/kind,
// or a hash of it when that is not a valid group ID. AWS's quotas are per
// account, region and API, and a scan's unit kinds call disjoint APIs
// (an inventory unit Lambda, the Tagging API and ListMetrics; a metrics
// unit GetMetricData; a logs unit Logs Insights), so at most one worker
// holds a pair's calls to any one API at a time — and a pair's metrics
// units run while its listing goes on, not behind it in one group.
func MessageGroupID(u Unit) string {
	g := u.Account + "/" + u.Region + "/" + u.Kind
	if sqsIDOK(g) {
		return g
	}
	return hashID(g)
}

// DeduplicationID is a unit's FIFO MessageDeduplicationId: scope, unit
// ID and attempt, hashed when they do not make a valid ID (128
// characters of alphanumerics and punctuation).
func DeduplicationID(scope string, u Unit) string {
	d := u.ID + "#" + strconv.Itoa(u.Attempt)
	if scope != "" {
		d = scope + "|" + d
	}
	if sqsIDOK(d) {
		return d
	}
	return hashID(d)
}

// sendBatch sends one batch, trying the entries that failed on AWS's
// side again, and returns the units not sent. err is set when the call
// itself failed; the failures then include the batch's unsent units.
func (q *SQS) sendBatch(ctx context.Context, batch []sqsEntry) ([]SendFailure, error) {
	// Entry IDs are the units' places in the batch: unique, and valid
	// (80 alphanumerics, hyphens, underscores) whatever the unit ID is.
	pending := make(map[string]sqsEntry, len(batch))
	for i, e := range batch {
		id := "u" + strconv.Itoa(i)
		e.entry.Id = aws.String(id)
		pending[id] = e
	}
	order := func(m map[string]sqsEntry) []string {
		ids := make([]string, 0, len(m))
		for i := range batch {
			if id := "u" + strconv.Itoa(i); m[id].entry.Id != nil {
				ids = append(ids, id)
			}
		}
		return ids
	}
	var failures []SendFailure
	for attempt := 1; ; attempt++ {
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.url)}
		for _, id := range order(pending) {
			in.Entries = append(in.Entries, pending[id].entry)
		}
		out, err := q.client.SendMessageBatch(ctx, in)
		if err != nil {
			err = fmt.Errorf("send message batch to %s: %w", q.url, err)
			for _, id := range order(pending) {
				failures = append(failures, SendFailure{UnitID: pending[id].unitID, Code: awserr.Code(err), Reason: err.Error()})
			}
			return failures, err
		}
		for _, s := range out.Successful {
			delete(pending, aws.ToString(s.Id))
		}
		retry := map[string]sqsEntry{}
		reasons := map[string]SendFailure{}
		for _, f := range out.Failed {
			id := aws.ToString(f.Id)
			e, ok := pending[id]
			if !ok {
				continue
			}
			code, msg := aws.ToString(f.Code), aws.ToString(f.Message)
			reasons[id] = SendFailure{UnitID: e.unitID, Code: code, Reason: msg}
			if entryRetryable(f) {
				retry[id] = e
			}
		}
		for id, e := range pending {
			if _, ok := reasons[id]; !ok {
				// Neither successful nor failed: SQS did not say, so it
				// is not known to be sent.
				reasons[id] = SendFailure{UnitID: e.unitID, Reason: "no result for the entry in SQS's answer"}
				retry[id] = e
			}
		}
		if len(retry) == 0 || attempt == sendAttempts {
			for _, id := range order(pending) {
				failures = append(failures, reasons[id])
			}
			return failures, nil
		}
		for _, id := range order(pending) {
			if _, again := retry[id]; !again {
				failures = append(failures, reasons[id])
			}
		}
		if err := q.sleep(ctx, time.Duration(attempt)*100*time.Millisecond); err != nil {
			for _, id := range order(retry) {
				r := reasons[id]
				r.Reason += " (not retried: " + err.Error() + ")"
				failures = append(failures, r)
			}
			return failures, err
		}
		pending = retry
	}
}

// entryRetryable reports whether a failed batch entry may succeed when
// sent again: SQS says the fault is its own, or the code is a throttle
// or a transient failure.
func entryRetryable(f types.BatchResultErrorEntry) bool {
	if !f.SenderFault {
		return true
	}
	c := awserr.Classify(&smithy.GenericAPIError{Code: aws.ToString(f.Code), Message: aws.ToString(f.Message)})
	return c == awserr.Throttle || c == awserr.Transient
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Receive returns the next message holding a valid unit, long-polling
// SQS when none is buffered. It returns ctx's error when ctx is done,
// and the call's error when ReceiveMessage fails.
func (q *SQS) Receive(ctx context.Context) (Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		q.mu.Lock()
		if len(q.buf) > 0 {
			m := q.buf[0]
			q.buf[0] = nil
			q.buf = q.buf[1:]
			q.mu.Unlock()
			return m, nil
		}
		if wait := q.polling; wait != nil {
			// One poll at a time: the others wait for what it brings.
			q.mu.Unlock()
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-wait:
			}
			continue
		}
		done := make(chan struct{})
		q.polling = done
		q.mu.Unlock()
		msgs, err := q.poll(ctx)
		q.mu.Lock()
		q.buf = append(q.buf, msgs...)
		q.polling = nil
		close(done)
		q.mu.Unlock()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
	}
}

// Release makes the messages received from SQS but not yet returned by
// Receive visible again at once, for a worker that stops polling (a
// Lambda invocation near its end): otherwise they wait out their
// visibility timeout, and on a FIFO queue hold their groups that long.
// It returns the errors of the messages it could not release, which
// come back after their visibility timeout all the same.
func (q *SQS) Release(ctx context.Context) error {
	q.mu.Lock()
	buf := q.buf
	q.buf = nil
	q.mu.Unlock()
	var errs []error
	for _, m := range buf {
		if _, err := q.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(q.url), ReceiptHandle: aws.String(m.receipt), VisibilityTimeout: 0,
		}); err != nil {
			errs = append(errs, fmt.Errorf("fanout: sqs: release unit %q (message %s): %w", m.u.ID, m.id, err))
		}
	}
	return errors.Join(errs...)
}

// poll makes one ReceiveMessage call and admits what it brings.
func (q *SQS) poll(ctx context.Context) ([]*SQSMessage, error) {
	in := &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(q.url),
		MaxNumberOfMessages: int32(q.cfg.MaxMessages),
		WaitTimeSeconds:     int32((q.cfg.WaitTime + time.Second - 1) / time.Second),
		VisibilityTimeout:   int32((q.cfg.VisibilityTimeout + time.Second - 1) / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{
			types.MessageSystemAttributeNameApproximateReceiveCount,
		},
		MessageAttributeNames: []string{NotBeforeAttribute},
	}
	out, err := q.client.ReceiveMessage(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("fanout: sqs: receive from %s: %w", q.url, err)
	}
	var msgs []*SQSMessage
	for _, m := range out.Messages {
		r := received{
			id:           aws.ToString(m.MessageId),
			receipt:      aws.ToString(m.ReceiptHandle),
			body:         aws.ToString(m.Body),
			receiveCount: atoiOr(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)], 1),
		}
		if a, ok := m.MessageAttributes[NotBeforeAttribute]; ok {
			r.notBefore = aws.ToString(a.StringValue)
		}
		if u, ok := admit(ctx, q, q.cfg.Logger, q.cfg.Now(), r); ok {
			msgs = append(msgs, &SQSMessage{q: q, u: u, id: r.id, receipt: r.receipt, receiveCount: r.receiveCount})
		}
	}
	return msgs, nil
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

// received is one message as ReceiveMessage or a Lambda event gives it.
type received struct {
	id, receipt, body string
	receiveCount      int
	notBefore         string // NotBeforeAttribute's value, "" if absent
}

// BadMessageError says a message's body is not a valid unit. Such a
// message is never acked: the queue's redrive policy moves it to the
// dead-letter queue after maxReceiveCount receives.
type BadMessageError struct {
	MessageID    string
	ReceiveCount int
	Err          error
}

func (e *BadMessageError) Error() string {
	return fmt.Sprintf("fanout: sqs message %s (receive %d) is not a valid unit: %v", e.MessageID, e.ReceiveCount, e.Err)
}

func (e *BadMessageError) Unwrap() error { return e.Err }

// DecodeMessage decodes and validates a message body as a unit; a
// failure is a *BadMessageError naming the message.
func DecodeMessage(messageID string, receiveCount int, body string) (Unit, error) {
	var u Unit
	err := json.Unmarshal([]byte(body), &u)
	if err == nil {
		err = u.Validate()
	}
	if err != nil {
		return Unit{}, &BadMessageError{MessageID: messageID, ReceiveCount: receiveCount, Err: err}
	}
	return u, nil
}

// admit decides what becomes of a received message: a valid unit due
// now is delivered (ok); a body that is not a unit is logged and hidden
// for RejectVisibility; a FIFO retry received before its time (by now)
// is hidden for the rest of its delay, once, and delivered if hiding it
// fails. q may be nil (a Lambda batch with no queue to change visibility
// on): the message then stays hidden for the queue's visibility timeout.
func admit(ctx context.Context, q *SQS, log *slog.Logger, now time.Time, r received) (Unit, bool) {
	u, err := DecodeMessage(r.id, r.receiveCount, r.body)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "fanout: sqs: message is not a valid unit; left unacked for the queue's redrive policy to move to the dead-letter queue",
			slog.String("message_id", r.id), slog.Int("receive_count", r.receiveCount), slog.Int("body_bytes", len(r.body)),
			slog.String("error", err.Error()))
		if q != nil {
			q.hide(ctx, log, r, q.cfg.RejectVisibility)
		}
		return Unit{}, false
	}
	expected := 1
	if r.notBefore != "" {
		expected = 2 // a deferral costs one receive
		if ms, perr := strconv.ParseInt(r.notBefore, 10, 64); perr == nil && r.receiveCount <= 1 {
			if wait := time.UnixMilli(ms).Sub(now); wait > 0 && (q == nil || q.hide(ctx, log, r, wait)) {
				return Unit{}, false
			}
		}
	}
	if r.receiveCount > expected {
		log.LogAttrs(ctx, slog.LevelWarn, "fanout: sqs: unit delivered again (a worker did not ack it); the redrive policy moves it to the dead-letter queue after maxReceiveCount receives",
			slog.String("unit", u.ID), slog.String("message_id", r.id), slog.Int("receive_count", r.receiveCount))
	}
	return u, true
}

// hide makes a received message invisible for d (rounded up to whole
// seconds, at most SQSMaxDelay), reporting whether that worked; a
// failure is logged.
func (q *SQS) hide(ctx context.Context, log *slog.Logger, r received, d time.Duration) bool {
	secs := delaySeconds(d)
	// Done even when the worker is stopping, but not waited on forever.
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := q.client.ChangeMessageVisibility(hctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(q.url), ReceiptHandle: aws.String(r.receipt), VisibilityTimeout: secs,
	})
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "fanout: sqs: change message visibility failed; the message stays hidden for the queue's visibility timeout",
			slog.String("message_id", r.id), slog.Int("seconds", int(secs)), slog.String("error", err.Error()))
		return false
	}
	return true
}

// SQSMessage is one delivery from an SQS queue.
type SQSMessage struct {
	q            *SQS
	u            Unit
	id, receipt  string
	receiveCount int
	acked        atomic.Bool
}

// Unit is the unit delivered.
func (m *SQSMessage) Unit() Unit { return m.u }

// ID is SQS's message ID.
func (m *SQSMessage) ID() string { return m.id }

// ReceiveCount is SQS's ApproximateReceiveCount for this delivery.
func (m *SQSMessage) ReceiveCount() int { return m.receiveCount }

// Ack deletes the message. Acking twice is an error.
func (m *SQSMessage) Ack(ctx context.Context) error {
	if !m.acked.CompareAndSwap(false, true) {
		return fmt.Errorf("fanout: sqs: unit %q (message %s) acked twice", m.u.ID, m.id)
	}
	if _, err := m.q.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(m.q.url), ReceiptHandle: aws.String(m.receipt)}); err != nil {
		m.acked.Store(false)
		return fmt.Errorf("fanout: sqs: ack unit %q (message %s): %w", m.u.ID, m.id, err)
	}
	return nil
}
