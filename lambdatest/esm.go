package lambdatest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// ESM is a stand-in for Lambda's SQS event source mapping: it polls a
// queue and invokes instances of a function with batches of its messages
// as events.SQSEvent, deleting what the function processed. What it
// honours, as Lambda does:
//
//   - BatchSize: at most that many records an invocation (one receive).
//   - MaximumConcurrency: that many workers, each with its own Instance,
//     each receiving a batch and invoking with it, so at most that many
//     invocations are in flight. On a FIFO queue SQS itself hides a
//     message group's later messages while earlier ones are in flight,
//     so a group is never in two invocations at once and keeps its order.
//   - The visibility timeout: a message not deleted reappears when it
//     expires (the queue's own, or VisibilityTimeout), and goes to the
//     dead-letter queue after the redrive policy's maxReceiveCount.
//   - Failures: a function error or timeout, or an instance that dies,
//     deletes nothing — the whole batch comes back. With
//     ReportBatchItemFailures the response is events.SQSEventResponse:
//     the records not listed in BatchItemFailures are deleted; an empty
//     or null response or list deletes all; a response that is not such
//     JSON, or that lists an empty or unknown itemIdentifier, fails the
//     whole batch. FIFO queues are treated alike: as on Lambda, a record
//     the function does not list is deleted even if an earlier record of
//     its group failed (AWS advises FIFO functions to stop at a group's
//     first failure and list the rest; that is the function's choice).
//
// moto_server (5.2) redelivers a FIFO group out of order when several of
// its messages in flight become visible again together: it unlocks the
// group at the last of them and delivers from there. So that tests see
// SQS's order, the ESM makes the messages a FIFO invocation left in the
// queue visible again itself, in batch order, just before their
// visibility timeout would (ChangeMessageVisibility to 0, about 200ms
// early). And its ReceiveMessage is not safe to call concurrently on a
// FIFO queue: two calls at once can each take messages of the same group
// (each checks the groups in flight as they were when it began; seen
// once in this package's tests, rarely reproduced). So the
// workers take turns to receive (they invoke concurrently). Against real
// SQS neither changes anything that matters.
//
// Records carry messageId, receiptHandle, body, md5OfBody,
// md5OfMessageAttributes, the system attributes Lambda passes
// (ApproximateReceiveCount, SentTimestamp, SenderId,
// ApproximateFirstReceiveTimestamp, and on FIFO queues SequenceNumber,
// MessageGroupId, MessageDeduplicationId), messageAttributes,
// eventSource "aws:sqs", eventSourceARN and awsRegion.
//
// Not emulated: the batching window, Lambda's scaling ramp (all workers
// poll from the start), and long polling — workers short-poll and pause
// PollInterval after an empty receive, because moto_server's long poll
// on a FIFO queue whose visible messages all belong to groups in flight
// spins a CPU until WaitTimeSeconds ends.
type ESM struct {
	// Client is the SQS client (moto_server in tests).
	Client *sqs.Client
	// QueueURL is the queue to poll.
	QueueURL string
	// BatchSize is the most records an invocation gets, 1–10 (default
	// 10: SQS returns at most 10 messages a receive).
	BatchSize int
	// MaximumConcurrency is the number of concurrent invocations
	// (default: len(Instances)). Lambda's minimum is 2; 1 is allowed here.
	MaximumConcurrency int
	// VisibilityTimeout, when set, overrides the queue's for the
	// messages received (whole seconds).
	VisibilityTimeout time.Duration
	// ReportBatchItemFailures is FunctionResponseTypes:
	// [ReportBatchItemFailures]: the response names the failed records.
	ReportBatchItemFailures bool
	// Instances are the workers' instances, one a worker.
	Instances []*Instance
	// NewInstance, when set, starts the instances beyond Instances and
	// a replacement for an instance that died (Kill, crash of the
	// emulator), as Lambda starts a new execution environment. Without
	// it a worker whose instance died stops. TryStart fits:
	//
	//	NewInstance: func() (*lambdatest.Instance, error) { return lambdatest.TryStart(t, fn) }
	NewInstance func() (*Instance, error)
	// IdleTimeout, when set, ends Run once no worker has received a
	// message or had an invocation in flight for this long and the
	// queue holds no message, visible, in flight or delayed.
	IdleTimeout time.Duration
	// PollInterval is the pause after an empty receive (default 100ms).
	PollInterval time.Duration
	// OnInvoke, when set, is called by a worker just before it invokes
	// inst with event, for fault injection (inst.Kill) and observation.
	OnInvoke func(inst *Instance, event events.SQSEvent)
	// Logger receives a line per failed invocation and per failed
	// delete (default: discarded).
	Logger *slog.Logger

	invocations, messages, deleted, itemFailures atomic.Int64
	functionErrors, timeouts, invokeErrors       atomic.Int64
	inFlight, maxInFlight, lastBusy              atomic.Int64
	idleChecked, receives, requests              atomic.Int64
	releases                                     sync.WaitGroup
	receiving                                    sync.Mutex // one ReceiveMessage at a time (see above)
	usedMu                                       sync.Mutex
	used                                         []*Instance
}

// Used returns every instance the workers have invoked or started, the
// replacements of dead ones included (for their PeakRSS).
func (e *ESM) Used() []*Instance {
	e.usedMu.Lock()
	defer e.usedMu.Unlock()
	return slices.Clone(e.used)
}

func (e *ESM) use(in *Instance) {
	e.usedMu.Lock()
	defer e.usedMu.Unlock()
	if !slices.Contains(e.used, in) {
		e.used = append(e.used, in)
	}
}

// Stats are an ESM's counters.
type Stats struct {
	// Invocations is the number of invocations made.
	Invocations int64
	// Messages is the number of records delivered, over all invocations.
	Messages int64
	// Deleted is the number of messages deleted after processing.
	Deleted int64
	// ItemFailures is the number of records kept after a successful
	// invocation: listed in BatchItemFailures, or behind a failed record
	// of their FIFO group.
	ItemFailures int64
	// FunctionErrors is the number of invocations that ended in a
	// function error (timeouts included) or an invalid response.
	FunctionErrors int64
	// Timeouts is the number of those that timed out.
	Timeouts int64
	// InvokeErrors is the number of invocations that got no answer: the
	// instance was killed or its emulator died.
	InvokeErrors int64
	// MaxConcurrent is the most invocations seen in flight at once.
	MaxConcurrent int64
	// Receives is the number of ReceiveMessage calls, empty ones
	// included. The workers short-poll (see ESM), so this is not the
	// number a Lambda poller's long polls would make.
	Receives int64
	// Requests is the number of SQS API calls the ESM made: receives,
	// deletes, visibility changes and queue attributes.
	Requests int64
}

// Stats returns the counters so far.
func (e *ESM) Stats() Stats {
	return Stats{
		Invocations: e.invocations.Load(), Messages: e.messages.Load(), Deleted: e.deleted.Load(),
		ItemFailures: e.itemFailures.Load(), FunctionErrors: e.functionErrors.Load(), Timeouts: e.timeouts.Load(),
		InvokeErrors: e.invokeErrors.Load(), MaxConcurrent: e.maxInFlight.Load(),
		Receives: e.receives.Load(), Requests: e.requests.Load(),
	}
}

// source is what the ESM knows of the queue.
type source struct {
	arn, region string
	fifo        bool
	visibility  time.Duration // of the messages received
}

// Run polls and invokes until ctx ends (returning ctx's error) or, with
// IdleTimeout, until the queue has stayed empty that long (returning
// nil). Invocations in flight when ctx ends run to their end. It returns
// an error when a setting is invalid, the queue cannot be read, or every
// worker's instance has died with no NewInstance to replace it.
func (e *ESM) Run(ctx context.Context) error {
	if e.Client == nil || e.QueueURL == "" {
		return errors.New("lambdatest: ESM.Client and ESM.QueueURL are required")
	}
	if e.BatchSize == 0 {
		e.BatchSize = 10
	}
	if e.BatchSize < 1 || e.BatchSize > 10 {
		return fmt.Errorf("lambdatest: ESM.BatchSize %d: must be 1 to 10 (one SQS receive)", e.BatchSize)
	}
	if e.MaximumConcurrency == 0 {
		e.MaximumConcurrency = len(e.Instances)
	}
	if e.MaximumConcurrency < 1 {
		return errors.New("lambdatest: ESM.MaximumConcurrency must be at least 1, or ESM.Instances given")
	}
	if len(e.Instances) < e.MaximumConcurrency && e.NewInstance == nil {
		return fmt.Errorf("lambdatest: ESM.MaximumConcurrency %d needs as many ESM.Instances (have %d) or ESM.NewInstance", e.MaximumConcurrency, len(e.Instances))
	}
	if e.VisibilityTimeout%time.Second != 0 {
		return fmt.Errorf("lambdatest: ESM.VisibilityTimeout %v: must be whole seconds", e.VisibilityTimeout)
	}
	if e.PollInterval == 0 {
		e.PollInterval = 100 * time.Millisecond
	}
	if e.Logger == nil {
		e.Logger = slog.New(slog.DiscardHandler)
	}
	e.requests.Add(1)
	attrs, err := e.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(e.QueueURL),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameQueueArn, sqstypes.QueueAttributeNameVisibilityTimeout,
		},
	})
	if err != nil {
		return fmt.Errorf("lambdatest: the queue's attributes: %w", err)
	}
	arn := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	src := source{arn: arn, fifo: strings.HasSuffix(e.QueueURL, ".fifo"), visibility: e.VisibilityTimeout}
	if f := strings.Split(arn, ":"); len(f) > 3 {
		src.region = f[3]
	}
	if src.visibility == 0 {
		secs, err := strconv.Atoi(attrs.Attributes[string(sqstypes.QueueAttributeNameVisibilityTimeout)])
		if err != nil {
			return fmt.Errorf("lambdatest: the queue's VisibilityTimeout %q: %w", attrs.Attributes[string(sqstypes.QueueAttributeNameVisibilityTimeout)], err)
		}
		src.visibility = time.Duration(secs) * time.Second
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	e.lastBusy.Store(time.Now().UnixNano())
	var wg sync.WaitGroup
	var idle atomic.Bool
	for i := range e.MaximumConcurrency {
		var inst *Instance
		if i < len(e.Instances) {
			inst = e.Instances[i]
		}
		wg.Go(func() {
			e.work(runCtx, src, inst, func() { idle.Store(true); stop() })
		})
	}
	wg.Wait()
	e.releases.Wait()
	switch {
	case idle.Load():
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		return errors.New("lambdatest: every worker's instance died and ESM.NewInstance is not set")
	}
}

// work is one worker: receive a batch, invoke, delete, until ctx ends or
// its instance dies for good.
func (e *ESM) work(ctx context.Context, src source, inst *Instance, idle func()) {
	for ctx.Err() == nil {
		if inst == nil || !inst.Alive() {
			if e.NewInstance == nil {
				e.Logger.Warn("lambdatest: a worker stops: its instance died and ESM.NewInstance is not set")
				return
			}
			var err error
			if inst, err = e.NewInstance(); err != nil {
				e.Logger.Error("lambdatest: start an instance", "err", err)
				return
			}
		}
		in := &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(e.QueueURL),
			MaxNumberOfMessages:         int32(e.BatchSize),
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		}
		if e.VisibilityTimeout > 0 {
			in.VisibilityTimeout = int32(e.VisibilityTimeout / time.Second)
		}
		e.receiving.Lock()
		received := time.Now()
		e.receives.Add(1)
		e.requests.Add(1)
		out, err := e.Client.ReceiveMessage(ctx, in)
		e.receiving.Unlock()
		if err != nil {
			if ctx.Err() == nil {
				e.Logger.Warn("lambdatest: receive", "err", err)
				sleep(ctx, e.PollInterval)
			}
			continue
		}
		if len(out.Messages) == 0 {
			if e.idleFor(ctx) {
				idle()
				return
			}
			sleep(ctx, e.PollInterval)
			continue
		}
		e.lastBusy.Store(time.Now().UnixNano())
		e.invoke(ctx, src, inst, received, out.Messages)
		e.lastBusy.Store(time.Now().UnixNano())
	}
}

// idleFor reports whether the ESM has been idle IdleTimeout and the
// queue holds no message at all. It asks the queue at most once an
// IdleTimeout.
func (e *ESM) idleFor(ctx context.Context) bool {
	if e.IdleTimeout <= 0 || e.inFlight.Load() > 0 {
		return false
	}
	now := time.Now().UnixNano()
	checked := e.idleChecked.Load()
	if time.Duration(now-max(e.lastBusy.Load(), checked)) < e.IdleTimeout || !e.idleChecked.CompareAndSwap(checked, now) {
		return false // not idle long enough, or another worker asks the queue
	}
	e.requests.Add(1)
	out, err := e.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(e.QueueURL),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return false
	}
	for _, v := range out.Attributes {
		if v != "0" {
			return false
		}
	}
	return e.inFlight.Load() == 0
}

// lambdaAttributes are the system attributes Lambda puts in a record.
var lambdaAttributes = []string{
	"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
	"SequenceNumber", "MessageGroupId", "MessageDeduplicationId", "AWSTraceHeader",
}

// event turns received messages into the event Lambda would send.
func event(src source, msgs []sqstypes.Message) events.SQSEvent {
	var ev events.SQSEvent
	for _, m := range msgs {
		r := events.SQSMessage{
			MessageId:              aws.ToString(m.MessageId),
			ReceiptHandle:          aws.ToString(m.ReceiptHandle),
			Body:                   aws.ToString(m.Body),
			Md5OfBody:              aws.ToString(m.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
			Attributes:             map[string]string{},
			MessageAttributes:      map[string]events.SQSMessageAttribute{},
			EventSource:            "aws:sqs",
			EventSourceARN:         src.arn,
			AWSRegion:              src.region,
		}
		for _, k := range lambdaAttributes {
			if v, ok := m.Attributes[k]; ok {
				r.Attributes[k] = v
			}
		}
		for k, v := range m.MessageAttributes {
			r.MessageAttributes[k] = events.SQSMessageAttribute{
				StringValue: v.StringValue, BinaryValue: v.BinaryValue,
				StringListValues: append([]string{}, v.StringListValues...),
				BinaryListValues: append([][]byte{}, v.BinaryListValues...),
				DataType:         aws.ToString(v.DataType),
			}
		}
		ev.Records = append(ev.Records, r)
	}
	return ev
}

// invoke runs one batch, received at received, on inst and deletes what
// the outcome allows.
func (e *ESM) invoke(ctx context.Context, src source, inst *Instance, received time.Time, msgs []sqstypes.Message) {
	ev := event(src, msgs)
	payload, err := json.Marshal(ev)
	if err != nil {
		panic(err) // strings and maps only
	}
	e.use(inst)
	if e.OnInvoke != nil {
		e.OnInvoke(inst, ev)
	}
	n := e.inFlight.Add(1)
	for {
		m := e.maxInFlight.Load()
		if n <= m || e.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	e.invocations.Add(1)
	e.messages.Add(int64(len(msgs)))
	// An invocation in flight runs to its end even when Run's ctx ends.
	out, err := inst.Invoke(context.WithoutCancel(ctx), payload)
	e.inFlight.Add(-1)
	all := map[string]bool{}
	for _, r := range ev.Records {
		all[r.MessageId] = true
	}
	var keep map[string]bool
	var fe *FunctionError
	switch {
	case errors.As(err, &fe):
		e.functionErrors.Add(1)
		if fe.Timeout() {
			e.timeouts.Add(1)
		}
		e.Logger.Info("lambdatest: function error; the batch comes back after the visibility timeout", "records", len(msgs), "err", err)
		keep = all
	case err != nil:
		e.invokeErrors.Add(1)
		e.Logger.Info("lambdatest: invocation got no answer; the batch comes back after the visibility timeout", "records", len(msgs), "err", err)
		keep = all
	default:
		if keep, err = e.kept(ev, out); err != nil {
			e.functionErrors.Add(1)
			e.Logger.Info("lambdatest: invalid batch response; the batch comes back after the visibility timeout", "records", len(msgs), "err", err)
			keep = all
		} else {
			e.itemFailures.Add(int64(len(keep)))
		}
	}
	var entries []sqstypes.DeleteMessageBatchRequestEntry
	var kept []string // receipt handles, in batch order
	for i, r := range ev.Records {
		if keep[r.MessageId] {
			kept = append(kept, r.ReceiptHandle)
		} else {
			entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(r.ReceiptHandle)})
		}
	}
	if src.fifo && len(kept) > 1 {
		e.release(ctx, received.Add(src.visibility-200*time.Millisecond), kept)
	}
	if len(entries) == 0 {
		return
	}
	e.requests.Add(1)
	del, err := e.Client.DeleteMessageBatch(context.WithoutCancel(ctx), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(e.QueueURL), Entries: entries})
	if err != nil {
		e.Logger.Warn("lambdatest: delete a processed batch", "records", len(entries), "err", err)
		return
	}
	e.deleted.Add(int64(len(del.Successful)))
	for _, f := range del.Failed {
		e.Logger.Warn("lambdatest: delete a processed message", "code", aws.ToString(f.Code), "message", aws.ToString(f.Message))
	}
}

// release makes the messages of receipts visible again at at, in order
// (see ESM on moto's FIFO redelivery), unless ctx ends first.
func (e *ESM) release(ctx context.Context, at time.Time, receipts []string) {
	e.releases.Go(func() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(at)):
		}
		for _, rh := range receipts {
			e.requests.Add(1)
			_, err := e.Client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
				QueueUrl: aws.String(e.QueueURL), ReceiptHandle: aws.String(rh), VisibilityTimeout: 0,
			})
			if err != nil && ctx.Err() == nil {
				e.Logger.Warn("lambdatest: make a FIFO message visible again", "err", err)
			}
		}
	})
}

// kept returns the message IDs of the records a successful invocation
// leaves in the queue, or an error when its response fails the batch.
func (e *ESM) kept(ev events.SQSEvent, out []byte) (map[string]bool, error) {
	keep := map[string]bool{}
	if !e.ReportBatchItemFailures {
		return keep, nil
	}
	var resp *events.SQSEventResponse
	if s := strings.TrimSpace(string(out)); s != "" {
		if err := json.Unmarshal(out, &resp); err != nil {
			return nil, fmt.Errorf("not an SQSEventResponse: %w", err)
		}
	}
	if resp == nil {
		return keep, nil
	}
	inBatch := map[string]bool{}
	for _, r := range ev.Records {
		inBatch[r.MessageId] = true
	}
	for _, f := range resp.BatchItemFailures {
		if !inBatch[f.ItemIdentifier] {
			return nil, fmt.Errorf("batchItemFailures names itemIdentifier %q, not a record of the batch", f.ItemIdentifier)
		}
		keep[f.ItemIdentifier] = true
	}
	return keep, nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
