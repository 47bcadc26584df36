// Command testfunc is the Lambda function lambdatest's own tests build
// and run under the Runtime Interface Emulator. It is driven by its
// input: a direct invocation is one command; an SQS event is a batch of
// records whose bodies are commands. It appends a JSON line per
// invocation and per record to $TESTFUNC_LOG (when set) so that a test
// can check, from the function's side, what ran, where and when.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// command is one thing for the function to do: echo a value, sleep,
// fail, crash or allocate memory.
type command struct {
	ID string `json:"id,omitempty"`
	// Echo is returned as the response of a direct invocation.
	Echo json.RawMessage `json:"echo,omitempty"`
	// Sleep is a Go duration to sleep before answering.
	Sleep string `json:"sleep,omitempty"`
	// Fail, on a direct invocation, is the message of a function error;
	// on an SQS record, it makes the record a batch item failure.
	Fail string `json:"fail,omitempty"`
	// FailBatch, on an SQS record, fails the whole invocation before
	// any record is processed.
	FailBatch bool `json:"failBatch,omitempty"`
	// Hang, on an SQS record, sleeps past any function timeout before
	// any record is processed.
	Hang bool `json:"hang,omitempty"`
	// Once limits Fail, FailBatch and Hang to the first time any
	// instance meets this command's ID (a marker file next to
	// $TESTFUNC_LOG), wherever its record lands.
	Once bool `json:"once,omitempty"`
	// Exit ends the runtime process with status 3 (a crash).
	Exit bool `json:"exit,omitempty"`
	// AllocMB allocates and touches this many MiB (for peak RSS).
	AllocMB int `json:"allocMB,omitempty"`
	// Env names environment variables to answer with (direct only).
	Env []string `json:"env,omitempty"`
}

// reply is the answer to a direct invocation without Echo.
type reply struct {
	ID string `json:"id"`
	// RemainingMs is the time left before the invocation's deadline
	// (Lambda-Runtime-Deadline-Ms) when the handler started.
	RemainingMs int64 `json:"remainingMs"`
	// Env holds the variables the command named; absent ones are "".
	Env map[string]string `json:"env,omitempty"`
}

// logLine is one line of $TESTFUNC_LOG.
type logLine struct {
	Kind         string `json:"kind"` // "invoke" or "record"
	PID          int    `json:"pid"`
	RequestID    string `json:"requestId,omitempty"`
	ID           string `json:"id,omitempty"`
	MessageID    string `json:"messageId,omitempty"`
	Group        string `json:"group,omitempty"`
	ReceiveCount string `json:"receiveCount,omitempty"`
	Records      int    `json:"records,omitempty"`
	Outcome      string `json:"outcome,omitempty"`
	Start        int64  `json:"start"`
	End          int64  `json:"end"`
}

var (
	logMu   sync.Mutex
	logFile *os.File
	ballast [][]byte
)

func record(l logLine) {
	if logFile == nil {
		return
	}
	l.PID = os.Getpid()
	b, _ := json.Marshal(l)
	logMu.Lock()
	defer logMu.Unlock()
	logFile.Write(append(b, '\n')) // one O_APPEND write a line
}

// run does what c says, except failing, which the caller decides.
func run(ctx context.Context, c command) error {
	if c.AllocMB > 0 {
		b := make([]byte, c.AllocMB<<20)
		for i := range b {
			b[i] = 1
		}
		ballast = append(ballast, b)
	}
	if c.Sleep != "" {
		d, err := time.ParseDuration(c.Sleep)
		if err != nil {
			return fmt.Errorf("sleep: %w", err)
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if c.Exit {
		os.Exit(3)
	}
	return nil
}

func handle(ctx context.Context, payload json.RawMessage) (any, error) {
	start := time.Now()
	deadline, _ := ctx.Deadline()
	var probe struct {
		Records []events.SQSMessage `json:"Records"`
	}
	if err := json.Unmarshal(payload, &probe); err == nil && len(probe.Records) > 0 {
		resp, err := handleSQS(ctx, probe.Records)
		record(logLine{Kind: "invoke", Records: len(probe.Records), Outcome: outcome(err), Start: start.UnixNano(), End: time.Now().UnixNano()})
		return resp, err
	}
	var c command
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("testfunc: not a command: %w", err)
	}
	err := run(ctx, c)
	if err == nil && c.Fail != "" {
		err = errors.New(c.Fail)
	}
	record(logLine{Kind: "invoke", ID: c.ID, Outcome: outcome(err), Start: start.UnixNano(), End: time.Now().UnixNano()})
	if err != nil {
		return nil, err
	}
	if c.Echo != nil {
		return c.Echo, nil
	}
	r := reply{ID: c.ID}
	if !deadline.IsZero() {
		r.RemainingMs = deadline.Sub(start).Milliseconds()
	}
	for _, k := range c.Env {
		if r.Env == nil {
			r.Env = map[string]string{}
		}
		r.Env[k] = os.Getenv(k)
	}
	return r, nil
}

// handleSQS runs each record's command in order and lists the failed
// records in the response. With $TESTFUNC_FIFO_STOP set it does as AWS
// advises for FIFO queues: after the first failed record of a message
// group, the group's later records are not processed and are listed
// failed too.
func handleSQS(ctx context.Context, records []events.SQSMessage) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, r := range records {
		var c command
		if json.Unmarshal([]byte(r.Body), &c) != nil || !(c.FailBatch || c.Hang) || !failing(c) {
			continue
		}
		now := time.Now().UnixNano()
		line := logLine{Kind: "record", ID: c.ID, MessageID: r.MessageId, Group: r.Attributes["MessageGroupId"],
			ReceiveCount: r.Attributes["ApproximateReceiveCount"], Outcome: "batch-failed", Start: now, End: now}
		if c.Hang {
			line.Outcome = "hang"
			record(line)
			time.Sleep(time.Hour) // past the deadline, whatever the context says
		}
		record(line)
		return resp, fmt.Errorf("testfunc: record %s fails the batch", c.ID)
	}
	failedGroups := map[string]bool{}
	for _, r := range records {
		start := time.Now()
		group := r.Attributes["MessageGroupId"]
		line := logLine{Kind: "record", MessageID: r.MessageId, Group: group, ReceiveCount: r.Attributes["ApproximateReceiveCount"]}
		fail := func(outcome string) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			if group != "" {
				failedGroups[group] = true
			}
			line.Outcome, line.Start, line.End = outcome, start.UnixNano(), time.Now().UnixNano()
			record(line)
		}
		var c command
		if err := json.Unmarshal([]byte(r.Body), &c); err != nil {
			fail("unparsable")
			continue
		}
		line.ID = c.ID
		if group != "" && failedGroups[group] && os.Getenv("TESTFUNC_FIFO_STOP") != "" {
			fail("skipped")
			continue
		}
		if err := run(ctx, c); err != nil {
			fail("error")
			continue
		}
		if c.Fail != "" && failing(c) {
			fail("failed")
			continue
		}
		line.Outcome, line.Start, line.End = "ok", start.UnixNano(), time.Now().UnixNano()
		record(line)
	}
	return resp, nil
}

// failing reports whether c's failure applies now: always, or with Once
// only the first time an instance meets it.
func failing(c command) bool {
	if !c.Once {
		return true
	}
	f, err := os.OpenFile(filepath.Join(filepath.Dir(os.Getenv("TESTFUNC_LOG")), "once-"+c.ID), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

func main() {
	if p := os.Getenv("TESTFUNC_LOG"); p != "" {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testfunc:", err)
			os.Exit(1)
		}
		logFile = f
	}
	lambda.Start(handle)
}
