package fanout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// fakeSQS records the calls and checks every SendMessageBatch against
// SQS's limits, as SQS would refuse the whole call.
type fakeSQS struct {
	t    *testing.T
	fifo bool

	mu      sync.Mutex
	batches [][]types.SendMessageBatchRequestEntry
	// answer decides each entry's fate on the n-th call (0-based); nil
	// means success. It may return a call error instead.
	answer   func(call int, e types.SendMessageBatchRequestEntry) (*types.BatchResultErrorEntry, error)
	receives [][]types.Message
	visible  []*sqs.ChangeMessageVisibilityInput
	deleted  []string
}

func (f *fakeSQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := len(f.batches)
	f.batches = append(f.batches, in.Entries)
	if n := len(in.Entries); n == 0 || n > SQSMaxBatchEntries {
		f.t.Errorf("batch of %d entries", n)
	}
	size := 0
	ids := map[string]bool{}
	for _, e := range in.Entries {
		size += len(aws.ToString(e.MessageBody))
		for name, a := range e.MessageAttributes {
			size += len(name) + len(aws.ToString(a.DataType)) + len(aws.ToString(a.StringValue))
		}
		id := aws.ToString(e.Id)
		if ids[id] || len(id) > 80 {
			f.t.Errorf("entry ID %q repeated or too long", id)
		}
		ids[id] = true
		if e.DelaySeconds < 0 || e.DelaySeconds > 900 {
			f.t.Errorf("DelaySeconds %d", e.DelaySeconds)
		}
		if f.fifo {
			if e.DelaySeconds != 0 {
				f.t.Errorf("FIFO entry with DelaySeconds %d", e.DelaySeconds)
			}
			if !sqsIDOK(aws.ToString(e.MessageGroupId)) || !sqsIDOK(aws.ToString(e.MessageDeduplicationId)) {
				f.t.Errorf("FIFO entry group %q dedup %q", aws.ToString(e.MessageGroupId), aws.ToString(e.MessageDeduplicationId))
			}
		} else if e.MessageGroupId != nil || e.MessageDeduplicationId != nil {
			f.t.Errorf("standard queue entry with FIFO attributes")
		}
	}
	if size > SQSMaxBatchBytes {
		f.t.Errorf("batch of %d bytes", size)
	}
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		var fail *types.BatchResultErrorEntry
		if f.answer != nil {
			var err error
			if fail, err = f.answer(call, e); err != nil {
				return nil, err
			}
		}
		switch {
		case fail == nil:
			out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("m-" + aws.ToString(e.Id))})
		case fail.Code == nil:
			// Leave the entry out of the answer altogether.
		default:
			fail.Id = e.Id
			out.Failed = append(out.Failed, *fail)
		}
	}
	return out, nil
}

func (f *fakeSQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.receives) == 0 {
		return nil, errors.New("fake: nothing more to receive")
	}
	msgs := f.receives[0]
	f.receives = f.receives[1:]
	return &sqs.ReceiveMessageOutput{Messages: msgs}, nil
}

func (f *fakeSQS) DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, aws.ToString(in.ReceiptHandle))
	return &sqs.DeleteMessageOutput{}, nil
}

func (f *fakeSQS) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.visible = append(f.visible, in)
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

var testNow = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

const (
	stdURL  = "https://sqs.us-east-1.amazonaws.com/999999999999/lambdaudit-work"
	fifoURL = "https://sqs.us-east-1.amazonaws.com/999999999999/lambdaudit-work.fifo"
)

func newTestSQS(t *testing.T, fifo bool, answer func(int, types.SendMessageBatchRequestEntry) (*types.BatchResultErrorEntry, error)) (*SQS, *fakeSQS, *bytes.Buffer) {
	t.Helper()
	f := &fakeSQS{t: t, fifo: fifo, answer: answer}
	url := stdURL
	if fifo {
		url = fifoURL
	}
	var logs bytes.Buffer
	q, err := NewSQS(f, url, SQSConfig{DedupScope: "scan-1", Now: func() time.Time { return testNow }, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	q.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	return q, f, &logs
}

func testUnit(i int) Unit {
	return Unit{ID: fmt.Sprintf("metrics/111111111111/us-east-1/%04d", i), Account: "111111111111", Region: "us-east-1", Kind: "metrics", Items: []string{"fn-" + strconv.Itoa(i)}}
}

// sizedUnit is a unit whose encoded body is exactly n bytes.
func sizedUnit(t *testing.T, i, n int) Unit {
	t.Helper()
	u := testUnit(i)
	u.Body = json.RawMessage(`""`)
	b, _ := json.Marshal(u)
	pad := n - len(b)
	if pad < 0 {
		t.Fatalf("unit %d cannot be as small as %d bytes", i, n)
	}
	u.Body = json.RawMessage(`"` + strings.Repeat("x", pad) + `"`)
	if b, _ := json.Marshal(u); len(b) != n {
		t.Fatalf("sized unit is %d bytes, want %d", len(b), n)
	}
	return u
}

func batchSizes(f *fakeSQS) []int {
	var n []int
	for _, b := range f.batches {
		n = append(n, len(b))
	}
	return n
}

func TestSQSSendBatching(t *testing.T) {
	units := func(n int, mk func(i int) Unit) []Unit {
		var us []Unit
		for i := range n {
			us = append(us, mk(i))
		}
		return us
	}
	for _, tc := range []struct {
		name        string
		fifo        bool
		delay       time.Duration
		units       func(t *testing.T) []Unit
		wantBatches []int
		wantFailed  []string
	}{
		{name: "10 units fill one batch", units: func(t *testing.T) []Unit { return units(10, testUnit) }, wantBatches: []int{10}},
		{name: "25 units make batches of 10, 10 and 5", units: func(t *testing.T) []Unit { return units(25, testUnit) }, wantBatches: []int{10, 10, 5}},
		{name: "200 KiB units: five fit in 1 MiB", units: func(t *testing.T) []Unit {
			return units(10, func(i int) Unit { return sizedUnit(t, i, 200<<10) })
		}, wantBatches: []int{5, 5}},
		{name: "four units at the unit size limit fill 1 MiB exactly", units: func(t *testing.T) []Unit {
			return units(5, func(i int) Unit { return sizedUnit(t, i, MaxUnitBytes) })
		}, wantBatches: []int{4, 1}},
		{name: "on a FIFO queue the delay attribute counts toward the 1 MiB", fifo: true, delay: time.Minute, units: func(t *testing.T) []Unit {
			return units(4, func(i int) Unit { return sizedUnit(t, i, MaxUnitBytes) })
		}, wantBatches: []int{3, 1}},
		{name: "a unit over the unit size limit is named, the others sent", units: func(t *testing.T) []Unit {
			return []Unit{testUnit(0), sizedUnit(t, 1, MaxUnitBytes+1), testUnit(2)}
		}, wantBatches: []int{2}, wantFailed: []string{testUnit(1).ID}},
		{name: "an invalid unit is named, the others sent", units: func(t *testing.T) []Unit {
			bad := testUnit(1)
			bad.Account = ""
			return []Unit{testUnit(0), bad}
		}, wantBatches: []int{1}, wantFailed: []string{testUnit(1).ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, f, _ := newTestSQS(t, tc.fifo, nil)
			err := q.Send(context.Background(), tc.delay, tc.units(t)...)
			if got := batchSizes(f); !reflect.DeepEqual(got, tc.wantBatches) {
				t.Errorf("batches %v, want %v", got, tc.wantBatches)
			}
			checkFailed(t, err, tc.wantFailed)
		})
	}
}

func checkFailed(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		return
	}
	var se *SendError
	if !errors.As(err, &se) {
		t.Fatalf("Send = %v, want a *SendError naming %v", err, want)
	}
	if got := se.UnitIDs(); !reflect.DeepEqual(got, want) {
		t.Fatalf("units not sent %v, want %v (%v)", got, want, err)
	}
	for _, id := range want[:min(3, len(want))] {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("error %q does not name %s", err, id)
		}
	}
}

func TestSQSSendEntryFailures(t *testing.T) {
	fail := func(code string, senderFault bool) *types.BatchResultErrorEntry {
		return &types.BatchResultErrorEntry{Code: aws.String(code), Message: aws.String(code + " for this entry"), SenderFault: senderFault}
	}
	noAnswer := &types.BatchResultErrorEntry{}
	u := func(i int) string { return testUnit(i).ID }
	for _, tc := range []struct {
		name   string
		n      int
		answer func(call int, e types.SendMessageBatchRequestEntry) (*types.BatchResultErrorEntry, error)
		// wantCalls are the batch sizes of the calls made.
		wantCalls  []int
		wantFailed []string
		wantCode   string
	}{
		{"a server fault is retried and then sent", 3, func(call int, e types.SendMessageBatchRequestEntry) (*types.BatchResultErrorEntry, error) {
			if call == 0 && aws.ToString(e.Id) == "u1" {
				return fail("InternalError", false), nil
			}
			return nil, nil
		}, []int{3, 1}, nil, ""},
		{"a sender fault is not retried and is named", 3, func(call int, e types.SendMessageBatchRequestEntry) (*types.BatchResultErrorEntry, error) {
			if aws.ToString(e.Id) == "u2" {
				return fail("InvalidMessageContents", true), nil
			}
			return nil, nil
		}, []int{3}, []string{u(2)}, "InvalidMessageContents"},
		{"a throttled entry is retried until the attempts run out", 2, func(call int, e types.SendMessageBatchRequestEntry) (*types.BatchResultErrorEntry, error) {
			if aws.ToString(e.Id) == "u0" {
				return fail("ThrottlingException", true), nil
			}
			return nil, nil
		}, []int{2, 1, 1}, []string{u(0)}, "ThrottlingException"},
		{"an entry missing from the answer is retried", 2, func(call int, e types.SendMessageBatchRequestEntry) (*types.BatchResultErrorEntry, error) {
			if call == 0 && aws.ToString(e.Id) == "u1" {
				return noAnswer, nil
			}
			return nil, nil
		}, []int{2, 1}, nil, ""},
		{"a failed call names its batch and the batches after it", 25, func(call int, e types.SendMessageBatchRequestEntry) (*types.BatchResultErrorEntry, error) {
			if call == 1 {
				return nil, errors.New("connection reset")
			}
			return nil, nil
		}, []int{10, 10}, func() []string {
			var ids []string
			for i := 10; i < 25; i++ {
				ids = append(ids, u(i))
			}
			return ids
		}(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, f, _ := newTestSQS(t, false, tc.answer)
			var us []Unit
			for i := range tc.n {
				us = append(us, testUnit(i))
			}
			err := q.Send(context.Background(), 0, us...)
			if got := batchSizes(f); !reflect.DeepEqual(got, tc.wantCalls) {
				t.Errorf("calls of %v entries, want %v", got, tc.wantCalls)
			}
			checkFailed(t, err, tc.wantFailed)
			if tc.wantCode != "" {
				var se *SendError
				errors.As(err, &se)
				if se.Failures[0].Code != tc.wantCode {
					t.Errorf("code %q, want %q", se.Failures[0].Code, tc.wantCode)
				}
			}
		})
	}
}

func TestSQSSendFIFOAttributes(t *testing.T) {
	long := testUnit(1)
	long.ID = strings.Repeat("metrics/", 20)
	odd := testUnit(2)
	odd.Region = "us east 1"
	for _, tc := range []struct {
		name                   string
		unit                   Unit
		attempt                int
		delay                  time.Duration
		wantGroup, wantDedup   string
		wantNotBefore          string
		wantHashedGroup, wantH bool
	}{
		{name: "group is account/region/kind, dedup is scope, ID and attempt", unit: testUnit(0),
			wantGroup: "111111111111/us-east-1/metrics", wantDedup: "scan-1|metrics/111111111111/us-east-1/0000#0"},
		{name: "a retry has its own dedup ID and a not-before time instead of DelaySeconds", unit: testUnit(0), attempt: 2, delay: 90 * time.Second,
			wantGroup: "111111111111/us-east-1/metrics", wantDedup: "scan-1|metrics/111111111111/us-east-1/0000#2",
			wantNotBefore: strconv.FormatInt(testNow.Add(90*time.Second).UnixMilli(), 10)},
		{name: "a delay over 15 minutes is clamped", unit: testUnit(0), delay: time.Hour,
			wantGroup: "111111111111/us-east-1/metrics", wantDedup: "scan-1|metrics/111111111111/us-east-1/0000#0",
			wantNotBefore: strconv.FormatInt(testNow.Add(15*time.Minute).UnixMilli(), 10)},
		{name: "a dedup ID over 128 characters is hashed", unit: long, wantGroup: "111111111111/us-east-1/metrics", wantH: true},
		{name: "a group with a space is hashed", unit: odd, wantHashedGroup: true, wantDedup: "scan-1|metrics/111111111111/us-east-1/0002#0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, f, _ := newTestSQS(t, true, nil)
			u := tc.unit
			u.Attempt = tc.attempt
			if err := q.Send(context.Background(), tc.delay, u); err != nil {
				t.Fatal(err)
			}
			e := f.batches[0][0]
			group, dedup := aws.ToString(e.MessageGroupId), aws.ToString(e.MessageDeduplicationId)
			if tc.wantHashedGroup {
				if !strings.HasPrefix(group, "sha256-") || group != MessageGroupID(u) {
					t.Errorf("group %q, want a hash", group)
				}
			} else if group != tc.wantGroup {
				t.Errorf("group %q, want %q", group, tc.wantGroup)
			}
			if tc.wantH {
				if !strings.HasPrefix(dedup, "sha256-") || len(dedup) > 128 {
					t.Errorf("dedup %q, want a hash of at most 128 characters", dedup)
				}
			} else if dedup != tc.wantDedup {
				t.Errorf("dedup %q, want %q", dedup, tc.wantDedup)
			}
			got := ""
			if a, ok := e.MessageAttributes[NotBeforeAttribute]; ok {
				got = aws.ToString(a.StringValue)
			}
			if got != tc.wantNotBefore {
				t.Errorf("not-before %q, want %q", got, tc.wantNotBefore)
			}
		})
	}
	t.Run("dedup IDs differ by scope, unit and attempt", func(t *testing.T) {
		a := testUnit(0)
		b := a
		b.Attempt = 1
		ids := map[string]bool{DeduplicationID("", a): true, DeduplicationID("scan-2", a): true, DeduplicationID("", b): true, DeduplicationID("", testUnit(1)): true}
		if len(ids) != 4 {
			t.Errorf("dedup IDs collide: %v", ids)
		}
	})
}

func TestSQSDelayClamping(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
		want  int32
	}{
		{"negative is none", -time.Second, 0},
		{"zero is none", 0, 0},
		{"a nanosecond rounds up to a second", time.Nanosecond, 1},
		{"1.5s rounds up to 2", 1500 * time.Millisecond, 2},
		{"15 minutes is the most", 15 * time.Minute, 900},
		{"901s is clamped to 900", 901 * time.Second, 900},
		{"an hour is clamped to 900", time.Hour, 900},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := delaySeconds(tc.delay); got != tc.want {
				t.Errorf("delaySeconds(%v) = %d, want %d", tc.delay, got, tc.want)
			}
			q, f, _ := newTestSQS(t, false, nil)
			if err := q.Send(context.Background(), tc.delay, testUnit(0)); err != nil {
				t.Fatal(err)
			}
			if got := f.batches[0][0].DelaySeconds; got != tc.want {
				t.Errorf("DelaySeconds %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSQSBodyEscapesCharactersSQSRefuses(t *testing.T) {
	u := testUnit(0)
	u.Body = json.RawMessage("\"a\uFFFEb\uFFFFc\"")
	b, err := encodeBody(u)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsRune(b, '\uFFFE') || bytes.ContainsRune(b, '\uFFFF') {
		t.Fatalf("body still holds U+FFFE/U+FFFF: %q", b)
	}
	var back Unit
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	var s string
	json.Unmarshal(back.Body, &s)
	if s != "a\uFFFEb\uFFFFc" {
		t.Fatalf("round trip gave %q", s)
	}
}

func rawMessage(id string, receiveCount int, body string, notBefore string) types.Message {
	m := types.Message{MessageId: aws.String(id), ReceiptHandle: aws.String("rh-" + id), Body: aws.String(body),
		Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(receiveCount)}}
	if notBefore != "" {
		m.MessageAttributes = map[string]types.MessageAttributeValue{NotBeforeAttribute: {DataType: aws.String("Number"), StringValue: aws.String(notBefore)}}
	}
	return m
}

func unitBody(t *testing.T, u Unit) string {
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSQSReceive(t *testing.T) {
	future := strconv.FormatInt(testNow.Add(61500*time.Millisecond).UnixMilli(), 10)
	past := strconv.FormatInt(testNow.Add(-time.Second).UnixMilli(), 10)
	for _, tc := range []struct {
		name string
		msgs []types.Message
		// want are the message IDs delivered.
		want []string
		// wantHidden are "id=seconds" of ChangeMessageVisibility calls.
		wantHidden []string
		wantLog    []string
	}{
		{name: "a valid unit is delivered",
			msgs: []types.Message{rawMessage("m1", 1, unitBody(t, testUnit(1)), "")}, want: []string{"m1"}},
		{name: "a body that is not JSON is logged, hidden briefly and not delivered",
			msgs:       []types.Message{rawMessage("bad", 1, "hello", ""), rawMessage("m2", 1, unitBody(t, testUnit(2)), "")},
			want:       []string{"m2"},
			wantHidden: []string{"bad=1"}, wantLog: []string{"message_id=bad", "not a valid unit"}},
		{name: "JSON that is not a valid unit is rejected too",
			msgs:       []types.Message{rawMessage("empty", 2, `{"kind":"metrics"}`, "")},
			wantHidden: []string{"empty=1"}, wantLog: []string{"message_id=empty", "receive_count=2", "empty id, account, region"}},
		{name: "a FIFO retry received early is hidden for the rest of its delay",
			msgs:       []types.Message{rawMessage("early", 1, unitBody(t, testUnit(3)), future)},
			wantHidden: []string{"early=62"}},
		{name: "a FIFO retry received again after its deferral is delivered without a warning",
			msgs: []types.Message{rawMessage("again", 2, unitBody(t, testUnit(3)), future)}, want: []string{"again"}},
		{name: "a FIFO retry due already is delivered",
			msgs: []types.Message{rawMessage("due", 1, unitBody(t, testUnit(3)), past)}, want: []string{"due"}},
		{name: "a unit delivered a third time is logged by name",
			msgs: []types.Message{rawMessage("third", 3, unitBody(t, testUnit(4)), "")}, want: []string{"third"},
			wantLog: []string{"unit=metrics/111111111111/us-east-1/0004", "receive_count=3", "delivered again"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, f, logs := newTestSQS(t, true, nil)
			f.receives = [][]types.Message{tc.msgs}
			var got []string
			for {
				m, err := q.Receive(context.Background())
				if err != nil {
					if !strings.Contains(err.Error(), "nothing more to receive") {
						t.Fatalf("Receive: %v", err)
					}
					break
				}
				got = append(got, m.(*SQSMessage).ID())
				if err := m.Ack(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("delivered %v, want %v", got, tc.want)
			}
			var hidden []string
			for _, v := range f.visible {
				hidden = append(hidden, fmt.Sprintf("%s=%d", strings.TrimPrefix(aws.ToString(v.ReceiptHandle), "rh-"), v.VisibilityTimeout))
			}
			if !reflect.DeepEqual(hidden, tc.wantHidden) {
				t.Errorf("visibility changes %v, want %v", hidden, tc.wantHidden)
			}
			var deleted []string
			for _, d := range f.deleted {
				deleted = append(deleted, strings.TrimPrefix(d, "rh-"))
			}
			if !reflect.DeepEqual(deleted, tc.want) {
				t.Errorf("deleted %v, want exactly the delivered %v", deleted, tc.want)
			}
			for _, w := range tc.wantLog {
				if !strings.Contains(logs.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, logs)
				}
			}
			if len(tc.wantLog) == 0 && logs.Len() > 0 {
				t.Errorf("unexpected log:\n%s", logs)
			}
		})
	}
}

func TestSQSAckTwice(t *testing.T) {
	q, f, _ := newTestSQS(t, false, nil)
	f.receives = [][]types.Message{{rawMessage("m1", 1, unitBody(t, testUnit(1)), "")}}
	m, err := q.Receive(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Ack(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Ack(context.Background()); err == nil || !strings.Contains(err.Error(), "acked twice") {
		t.Fatalf("second Ack = %v, want acked twice", err)
	}
	if len(f.deleted) != 1 {
		t.Fatalf("DeleteMessage called %d times", len(f.deleted))
	}
}

func TestSQSConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  SQSConfig
		want string
	}{
		{"wait over 20s", SQSConfig{WaitTime: 21 * time.Second}, "WaitTime 21s is outside 0–20s"},
		{"11 messages", SQSConfig{MaxMessages: 11}, "MaxMessages 11 is outside 1–10"},
		{"negative visibility", SQSConfig{VisibilityTimeout: -time.Second}, "VisibilityTimeout -1s is outside"},
		{"reject visibility over 15 minutes", SQSConfig{RejectVisibility: 16 * time.Minute}, "RejectVisibility 16m0s is outside 0–15m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSQS(&fakeSQS{t: t}, stdURL, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewSQS = %v, want %q", err, tc.want)
			}
		})
	}
}

func loadEvent(t *testing.T, name string) events.SQSEvent {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestSQSBatch(t *testing.T) {
	ev := loadEvent(t, "sqs-event.json")
	const (
		good1  = "0d1c5f7e-0001-4c3a-9d55-1f0b7d0e0001"
		poison = "0d1c5f7e-0002-4c3a-9d55-1f0b7d0e0002"
		early  = "0d1c5f7e-0003-4c3a-9d55-1f0b7d0e0003"
		third  = "0d1c5f7e-0004-4c3a-9d55-1f0b7d0e0004"
	)
	for _, tc := range []struct {
		name      string
		withQueue bool
		// skipAck is a unit left unacked, as a worker that died would.
		skipAck    string
		wantUnits  []string
		wantFailed []string
		wantHidden []string
	}{
		{name: "with its queue: the poison record and the early retry are failures; the early one is hidden", withQueue: true,
			wantUnits:  []string{"metrics/111111111111/us-east-1/a1", "metrics/111111111111/us-east-1/c3"},
			wantFailed: []string{poison, early}, wantHidden: []string{"AQEB-receipt-2=1", "AQEB-receipt-3=60"}},
		{name: "without a queue: the same failures, nothing hidden",
			wantUnits:  []string{"metrics/111111111111/us-east-1/a1", "metrics/111111111111/us-east-1/c3"},
			wantFailed: []string{poison, early}},
		{name: "a record not acked is a failure", skipAck: "metrics/111111111111/us-east-1/c3",
			wantUnits:  []string{"metrics/111111111111/us-east-1/a1", "metrics/111111111111/us-east-1/c3"},
			wantFailed: []string{poison, early, third}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			var q *SQS
			var f *fakeSQS
			if tc.withQueue {
				f = &fakeSQS{t: t, fifo: true}
				var err error
				// The fixture's clock: records sent at 08:00:00, the retry
				// due at 08:01:00; the worker runs at 08:00:00.2.
				q, err = NewSQS(f, fifoURL, SQSConfig{Logger: log, Now: func() time.Time { return testNow.Add(200 * time.Millisecond) }})
				if err != nil {
					t.Fatal(err)
				}
			}
			b, err := NewSQSBatch(ev, q, log)
			if err != nil {
				t.Fatal(err)
			}
			if q == nil {
				b.now = func() time.Time { return testNow.Add(200 * time.Millisecond) }
			}
			var got []string
			for {
				m, err := b.Receive(context.Background())
				if errors.Is(err, ErrClosed) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, m.Unit().ID)
				if m.Unit().ID != tc.skipAck {
					if err := m.Ack(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
			}
			if !reflect.DeepEqual(got, tc.wantUnits) {
				t.Errorf("units %v, want %v", got, tc.wantUnits)
			}
			resp := b.Response()
			var failed []string
			for _, f := range resp.BatchItemFailures {
				failed = append(failed, f.ItemIdentifier)
			}
			if !reflect.DeepEqual(failed, tc.wantFailed) {
				t.Errorf("batch item failures %v, want %v", failed, tc.wantFailed)
			}
			if f != nil {
				var hidden []string
				for _, v := range f.visible {
					hidden = append(hidden, fmt.Sprintf("%s=%d", aws.ToString(v.ReceiptHandle), v.VisibilityTimeout))
				}
				if !reflect.DeepEqual(hidden, tc.wantHidden) {
					t.Errorf("visibility changes %v, want %v", hidden, tc.wantHidden)
				}
			}
			for _, w := range []string{"message_id=" + poison, "unit=metrics/111111111111/us-east-1/c3 message_id=" + third + " receive_count=3"} {
				if !strings.Contains(logs.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, logs.String())
				}
			}
			// The answer Lambda reads.
			j, _ := json.Marshal(resp)
			if !strings.HasPrefix(string(j), `{"batchItemFailures":[{"itemIdentifier":"`) {
				t.Errorf("response JSON %s", j)
			}
		})
	}
}

func TestSQSBatchErrors(t *testing.T) {
	ev := loadEvent(t, "sqs-event.json")
	t.Run("records from another queue", func(t *testing.T) {
		q, _, _ := newTestSQS(t, false, nil) // lambdaudit-work, not .fifo
		if _, err := NewSQSBatch(ev, q, nil); err == nil || !strings.Contains(err.Error(), `comes from queue "lambdaudit-work.fifo"`) {
			t.Fatalf("NewSQSBatch = %v", err)
		}
	})
	t.Run("send without a queue", func(t *testing.T) {
		b, err := NewSQSBatch(ev, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Send(context.Background(), 0, testUnit(0)); err == nil || !strings.Contains(err.Error(), "no queue to send to") {
			t.Fatalf("Send = %v", err)
		}
	})
	t.Run("empty event", func(t *testing.T) {
		b, _ := NewSQSBatch(events.SQSEvent{}, nil, nil)
		if _, err := b.Receive(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Receive = %v, want ErrClosed", err)
		}
		if j, _ := json.Marshal(b.Response()); string(j) != `{"batchItemFailures":[]}` {
			t.Fatalf("response %s", j)
		}
	})
}

func TestSQSRelease(t *testing.T) {
	q, f, _ := newTestSQS(t, true, nil)
	f.receives = [][]types.Message{{
		rawMessage("m1", 1, unitBody(t, testUnit(1)), ""),
		rawMessage("m2", 1, unitBody(t, testUnit(2)), ""),
		rawMessage("m3", 1, unitBody(t, testUnit(3)), ""),
	}}
	m, err := q.Receive(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	var released []string
	for _, v := range f.visible {
		released = append(released, fmt.Sprintf("%s=%d", aws.ToString(v.ReceiptHandle), v.VisibilityTimeout))
	}
	if want := []string{"rh-m2=0", "rh-m3=0"}; !reflect.DeepEqual(released, want) {
		t.Fatalf("released %v, want %v (m1 was handed out)", released, want)
	}
	if err := m.Ack(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Receive(context.Background()); err == nil || !strings.Contains(err.Error(), "nothing more to receive") {
		t.Fatalf("Receive after Release = %v, want a new poll", err)
	}
}
