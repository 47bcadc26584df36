package lambdatest_test

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambdaudit/lambdaudit/lambdatest"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// line is one line of the test function's log ($TESTFUNC_LOG).
type line struct {
	Kind         string `json:"kind"`
	PID          int    `json:"pid"`
	ID           string `json:"id"`
	MessageID    string `json:"messageId"`
	Group        string `json:"group"`
	ReceiveCount string `json:"receiveCount"`
	Records      int    `json:"records"`
	Outcome      string `json:"outcome"`
	Start, End   int64
}

func readLog(t *testing.T, path string) []line {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []line
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}

// msg is a message to send: its group and the test function's command.
type msg struct {
	group string
	cmd   map[string]any
}

func send(t *testing.T, client *sqs.Client, queueURL string, msgs []msg) {
	t.Helper()
	for i := 0; i < len(msgs); i += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for j, m := range msgs[i:min(i+10, len(msgs))] {
			body, _ := json.Marshal(m.cmd)
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{
				Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(string(body)),
				MessageGroupId: aws.String(m.group), MessageDeduplicationId: aws.String(fmt.Sprint(m.cmd["id"])),
				MessageAttributes: map[string]sqstypes.MessageAttributeValue{"scan": {DataType: aws.String("String"), StringValue: aws.String("s1")}},
			})
		}
		out, err := client.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("send: %v %v", err, out)
		}
	}
}

func queueDepth(t *testing.T, client *sqs.Client, queueURL string) map[string]string {
	t.Helper()
	out, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible, sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes
}

// maxOverlap is the most intervals [start, end] open at one time.
func maxOverlap(iv [][2]int64) int {
	type ev struct {
		at    int64
		delta int
	}
	var evs []ev
	for _, i := range iv {
		evs = append(evs, ev{i[0], 1}, ev{i[1], -1})
	}
	sort.Slice(evs, func(a, b int) bool {
		if evs[a].at != evs[b].at {
			return evs[a].at < evs[b].at
		}
		return evs[a].delta < evs[b].delta // an end before a start at the same instant
	})
	n, most := 0, 0
	for _, e := range evs {
		n += e.delta
		most = max(most, n)
	}
	return most
}

// TestESMFIFO runs the test function under the emulator behind the event
// source mapping stand-in over a FIFO queue with a dead-letter queue:
// every message is processed once, in its group's order, never two
// batches of a group at once, at most MaximumConcurrency invocations at
// a time; a poison message lands in the DLQ after maxReceiveCount and
// its group continues; a function error and a timeout delete nothing.
func TestESMFIFO(t *testing.T) {
	// The failing batch and the timeout each return their whole batch: a
	// message in both has been received twice, so the DLQ takes it only
	// after a third failure, which only the poison message has.
	const maxReceives = 3
	rie, boot := binaries(t)
	client, queueURL, dlqURL := simtest.MotoSQS(t, simtest.MotoQueue{FIFO: true, MaxReceiveCount: maxReceives, VisibilityTimeout: 2 * time.Second})
	logPath := filepath.Join(t.TempDir(), "calls.log")
	fn := lambdatest.Function{RIE: rie, Bootstrap: boot, Timeout: time.Second, Env: map[string]string{"TESTFUNC_LOG": logPath}}

	var msgs []msg
	order := map[string][]string{} // group → ids in send order, the poison left out
	add := func(group, id string, cmd map[string]any) {
		cmd["id"] = id
		msgs = append(msgs, msg{group, cmd})
		if cmd["fail"] == nil {
			order[group] = append(order[group], id)
		}
	}
	for _, g := range []string{"g1", "g2", "g3"} {
		for i := range 5 {
			add(g, fmt.Sprintf("%s-%d", g, i), map[string]any{"sleep": "30ms"})
		}
	}
	add("g4", "g4-0", map[string]any{})
	add("g4", "poison", map[string]any{"fail": "always"})
	add("g4", "g4-2", map[string]any{})
	add("g4", "g4-3", map[string]any{})
	add("g5", "g5-0", map[string]any{"failBatch": true, "once": true})
	add("g5", "g5-1", map[string]any{})
	add("g6", "g6-0", map[string]any{"hang": true, "once": true})
	add("g6", "g6-1", map[string]any{})
	send(t, client, queueURL, msgs)

	arn := queueDepth(t, client, queueURL)["QueueArn"]
	var mu sync.Mutex
	var seen []events.SQSMessage
	esm := &lambdatest.ESM{
		Client: client, QueueURL: queueURL, BatchSize: 3, MaximumConcurrency: 2,
		ReportBatchItemFailures: true,
		Instances:               []*lambdatest.Instance{lambdatest.Start(t, fn), lambdatest.Start(t, fn)},
		IdleTimeout:             time.Second, PollInterval: 50 * time.Millisecond,
		OnInvoke: func(_ *lambdatest.Instance, ev events.SQSEvent) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, ev.Records...)
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	if err := esm.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("ran %d messages in %v: %+v", len(msgs), time.Since(start).Round(time.Millisecond), esm.Stats())

	lines := readLog(t, logPath)
	// Processed once each, in order within the group.
	okCount := map[string]int{}
	got := map[string][]string{}
	var invokes [][2]int64
	byGroup := map[string][]line{}
	for _, l := range lines {
		switch {
		case l.Kind == "invoke":
			invokes = append(invokes, [2]int64{l.Start, l.End})
			if l.Records > 3 {
				t.Errorf("an invocation got %d records, more than BatchSize 3", l.Records)
			}
		case l.Outcome == "ok":
			okCount[l.ID]++
			got[l.Group] = append(got[l.Group], l.ID)
		}
		if l.Kind == "record" {
			byGroup[l.Group] = append(byGroup[l.Group], l)
		}
	}
	for g, ids := range order {
		if !slices.Equal(got[g], ids) {
			t.Errorf("group %s processed %q, want %q once each in order", g, got[g], ids)
		}
	}
	if okCount["poison"] != 0 {
		t.Errorf("the poison message was processed")
	}
	// A group is never in two invocations at once: its records' times
	// do not overlap.
	for g, ls := range byGroup {
		var iv [][2]int64
		for _, l := range ls {
			iv = append(iv, [2]int64{l.Start, l.End})
		}
		if n := maxOverlap(iv); n > 1 {
			t.Errorf("group %s ran in %d invocations at once: %+v", g, n, ls)
		}
	}
	if n := maxOverlap(invokes); n != 2 {
		t.Errorf("at most %d invocations ran at once, want MaximumConcurrency 2 reached and never passed", n)
	}
	if s := esm.Stats(); s.MaxConcurrent > 2 {
		t.Errorf("the ESM counted %d concurrent invocations, more than 2", s.MaxConcurrent)
	}

	// The poison message was delivered maxReceiveCount times, then moved.
	var poisonReceives []string
	for _, r := range seen {
		if r.Body == `{"fail":"always","id":"poison"}` {
			poisonReceives = append(poisonReceives, r.Attributes["ApproximateReceiveCount"])
		}
	}
	if !slices.Equal(poisonReceives, []string{"1", "2", "3"}) {
		t.Errorf("the poison message was delivered with receive counts %q, want 1, 2, 3", poisonReceives)
	}
	dlq, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(dlq.Messages) != 1 || aws.ToString(dlq.Messages[0].Body) != `{"fail":"always","id":"poison"}` {
		t.Errorf("dead-letter queue holds %d messages (%v), want the poison message alone", len(dlq.Messages), dlq.Messages)
	}
	if d := queueDepth(t, client, queueURL); d["ApproximateNumberOfMessages"] != "0" || d["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Errorf("queue not empty at the end: %v", d)
	}

	s := esm.Stats()
	if s.Deleted != int64(len(msgs)-1) {
		t.Errorf("deleted %d messages, want %d (all but the poison, once each)", s.Deleted, len(msgs)-1)
	}
	if s.FunctionErrors != 2 || s.Timeouts != 1 {
		t.Errorf("%d function errors (%d timeouts), want 2 (the failing batch and the timeout, 1)", s.FunctionErrors, s.Timeouts)
	}
	if s.InvokeErrors != 0 {
		t.Errorf("%d invocations without an answer, want 0", s.InvokeErrors)
	}
	if s.ItemFailures < 2 {
		t.Errorf("%d records kept as batch item failures, want the poison's deliveries at least", s.ItemFailures)
	}
	if s.Receives < s.Invocations || s.Requests <= s.Receives {
		t.Errorf("%d receives and %d SQS requests for %d invocations", s.Receives, s.Requests, s.Invocations)
	}
	if used := esm.Used(); len(used) != 2 {
		t.Errorf("Used() lists %d instances, want the 2 given", len(used))
	}
	if s.Messages != int64(len(seen)) {
		t.Errorf("Messages = %d, but %d records were delivered", s.Messages, len(seen))
	}

	// Every record is shaped as Lambda sends it.
	for _, r := range seen {
		sum := md5.Sum([]byte(r.Body))
		if r.EventSource != "aws:sqs" || r.EventSourceARN != arn || r.AWSRegion != "us-east-1" ||
			r.Md5OfBody != hex.EncodeToString(sum[:]) || r.ReceiptHandle == "" || r.MessageId == "" ||
			r.Attributes["MessageGroupId"] == "" || r.Attributes["ApproximateReceiveCount"] == "" ||
			r.Attributes["SequenceNumber"] == "" || r.Attributes["MessageDeduplicationId"] == "" ||
			r.MessageAttributes["scan"].StringValue == nil || *r.MessageAttributes["scan"].StringValue != "s1" {
			t.Errorf("record not shaped as Lambda's: %+v", r)
			break
		}
	}
}

// TestESMKilledWorker kills the instance running the first batch, mid
// invocation: the batch comes back after the visibility timeout and is
// processed by a replacement instance; nothing is lost.
func TestESMKilledWorker(t *testing.T) {
	rie, boot := binaries(t)
	client, queueURL, _ := simtest.MotoSQS(t, simtest.MotoQueue{FIFO: true, MaxReceiveCount: 5, VisibilityTimeout: 2 * time.Second})
	logPath := filepath.Join(t.TempDir(), "calls.log")
	fn := lambdatest.Function{RIE: rie, Bootstrap: boot, Timeout: 3 * time.Second, Env: map[string]string{"TESTFUNC_LOG": logPath}}
	var msgs []msg
	for i := range 6 {
		msgs = append(msgs, msg{"only", map[string]any{"id": fmt.Sprint("m", i), "sleep": "300ms"}})
	}
	send(t, client, queueURL, msgs)

	var started int
	var mu sync.Mutex
	var killedPeak int64
	esm := &lambdatest.ESM{
		Client: client, QueueURL: queueURL, BatchSize: 3, MaximumConcurrency: 1,
		ReportBatchItemFailures: true,
		NewInstance:             func() (*lambdatest.Instance, error) { return lambdatest.TryStart(t, fn) },
		IdleTimeout:             time.Second, PollInterval: 50 * time.Millisecond,
		OnInvoke: func(in *lambdatest.Instance, ev events.SQSEvent) {
			mu.Lock()
			defer mu.Unlock()
			started++
			if started == 1 {
				go func() {
					time.Sleep(150 * time.Millisecond) // inside the first record's sleep
					mu.Lock()
					killedPeak = in.PeakRSS()
					mu.Unlock()
					in.Kill()
				}()
			}
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := esm.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	s := esm.Stats()
	t.Logf("%+v; the killed instance's peak RSS %d KiB", s, killedPeak>>10)
	if s.InvokeErrors != 1 {
		t.Errorf("%d invocations without an answer, want the killed one", s.InvokeErrors)
	}
	if s.Deleted != 6 {
		t.Errorf("deleted %d, want 6", s.Deleted)
	}
	var ids []string
	for _, l := range readLog(t, logPath) {
		if l.Kind == "record" && l.Outcome == "ok" {
			ids = append(ids, l.ID)
			if l.ID == "m0" && l.ReceiveCount != "2" {
				t.Errorf("m0 processed on receive %s, want 2 (redelivered after the kill)", l.ReceiveCount)
			}
		}
	}
	if want := []string{"m0", "m1", "m2", "m3", "m4", "m5"}; !slices.Equal(ids, want) {
		t.Errorf("processed %q, want %q once each", ids, want)
	}
	if used := esm.Used(); len(used) != 2 || used[0].Alive() || !used[1].Alive() || used[1].PeakRSS() <= 0 {
		t.Errorf("Used() = %d instances, want the killed one and its live replacement with a peak RSS", len(used))
	}
	if killedPeak <= 0 {
		t.Error("no peak RSS read of the running bootstrap")
	}
}

// TestESMStandard feeds a standard queue: records listed in
// batchItemFailures come back after the visibility timeout and the rest
// of their batch is deleted at once.
func TestESMStandard(t *testing.T) {
	rie, boot := binaries(t)
	client, queueURL, _ := simtest.MotoSQS(t, simtest.MotoQueue{VisibilityTimeout: time.Second})
	logPath := filepath.Join(t.TempDir(), "calls.log")
	fn := lambdatest.Function{RIE: rie, Bootstrap: boot, Timeout: time.Second, Env: map[string]string{"TESTFUNC_LOG": logPath}}
	var msgs []msg
	for i := range 12 {
		cmd := map[string]any{"id": fmt.Sprint("m", i), "sleep": "20ms"}
		if i == 3 || i == 7 {
			cmd["fail"], cmd["once"] = "transient", true
		}
		msgs = append(msgs, msg{cmd: cmd})
	}
	for _, m := range msgs { // a standard queue takes no group or deduplication ID
		body, _ := json.Marshal(m.cmd)
		if _, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(string(body))}); err != nil {
			t.Fatal(err)
		}
	}
	esm := &lambdatest.ESM{
		Client: client, QueueURL: queueURL, BatchSize: 4, MaximumConcurrency: 3, ReportBatchItemFailures: true,
		NewInstance: func() (*lambdatest.Instance, error) { return lambdatest.TryStart(t, fn) },
		IdleTimeout: time.Second, PollInterval: 50 * time.Millisecond,
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := esm.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	s := esm.Stats()
	t.Logf("%+v", s)
	ok := map[string][]string{} // id → receive counts of its successful runs
	var invokes [][2]int64
	for _, l := range readLog(t, logPath) {
		if l.Kind == "invoke" {
			invokes = append(invokes, [2]int64{l.Start, l.End})
		}
		if l.Kind == "record" && l.Outcome == "ok" {
			ok[l.ID] = append(ok[l.ID], l.ReceiveCount)
		}
	}
	for _, m := range msgs {
		id := m.cmd["id"].(string)
		want := []string{"1"}
		if m.cmd["fail"] != nil {
			want = []string{"2"}
		}
		if !slices.Equal(ok[id], want) {
			t.Errorf("%s processed on receives %q, want %q", id, ok[id], want)
		}
	}
	if n := maxOverlap(invokes); n > 3 {
		t.Errorf("%d invocations at once, more than MaximumConcurrency 3", n)
	}
	if s.Deleted != 12 || s.ItemFailures != 2 || s.FunctionErrors != 0 {
		t.Errorf("deleted %d, kept %d, %d function errors; want 12, 2, 0", s.Deleted, s.ItemFailures, s.FunctionErrors)
	}
}
