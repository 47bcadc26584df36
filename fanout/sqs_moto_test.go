package fanout_test

// Wire-level conformance of fanout.SQS against moto_server (moto 5.2)
// through the real SDK client. What moto honours, checked here: batches
// (≤10 entries, 1 MiB of bodies), per-message DelaySeconds on standard
// queues and its refusal on FIFO queues, FIFO group locking (a group with
// a message in flight yields nothing else until it is acked or visible
// again), MessageDeduplicationId, ChangeMessageVisibility, and the redrive
// policy (the receive after the maxReceiveCount-th moves the message to
// the dead-letter queue, as on AWS). Where moto differs from AWS: it
// counts a batch's size in characters of the bodies alone (AWS: bytes of
// bodies and attributes); it never answers a batch with per-entry
// failures other than an invalid delay, so those are tested with a fake
// (sqs_test.go); it deduplicates only against messages still in the
// queue (AWS: any message sent in the last 5 minutes, deleted or not);
// and a long poll that starts while a FIFO group is in flight does not
// see the group free up until the poll ends (moto computes the locked
// groups once per poll), so FIFO runs here are slower than on AWS.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// syncBuffer is a log sink safe for concurrent writers and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func motoUnits(t *testing.T, n int, pairs ...string) []fanout.Unit {
	t.Helper()
	var us []fanout.Unit
	for i := range n {
		pair := strings.Split(pairs[i%len(pairs)], "/")
		u, err := fanout.NewUnit(pair[0], pair[1], "metrics", []string{fmt.Sprintf("%s/%s/fn-%02d", pair[0], pair[1], i)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	return us
}

// drain receives and acks until want units arrived or ctx ends.
func drain(ctx context.Context, t *testing.T, q fanout.Queue, want int) []string {
	t.Helper()
	var got []string
	for len(got) < want {
		m, err := q.Receive(ctx)
		if err != nil {
			t.Fatalf("Receive after %d of %d units: %v", len(got), want, err)
		}
		if err := m.Ack(ctx); err != nil {
			t.Fatalf("Ack %s: %v", m.Unit().ID, err)
		}
		got = append(got, m.Unit().ID)
	}
	return got
}

// queueEmpty asserts a raw short receive finds nothing visible.
func queueEmpty(t *testing.T, client *sqs.Client, url string) {
	t.Helper()
	out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) > 0 {
		t.Fatalf("queue %s still holds %d messages, first %q", url, len(out.Messages), aws.ToString(out.Messages[0].Body))
	}
}

func TestSQSMoto(t *testing.T) {
	for _, tc := range []struct {
		name string
		fifo bool
	}{
		{"standard", false},
		{"fifo", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			t.Run("send 25 units, receive and ack them all", func(t *testing.T) {
				t.Parallel()
				client, url, _ := simtest.MotoSQS(t, simtest.MotoQueue{FIFO: tc.fifo, MaxReceiveCount: 5})
				q, err := fanout.NewSQS(client, url, fanout.SQSConfig{WaitTime: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				if q.FIFO() != tc.fifo {
					t.Fatalf("FIFO() = %v for %s", q.FIFO(), url)
				}
				units := motoUnits(t, 25, "111111111111/us-east-1", "222222222222/eu-west-1")
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := q.Send(ctx, 0, units...); err != nil {
					t.Fatal(err)
				}
				got := drain(ctx, t, q, len(units))
				var want []string
				for _, u := range units {
					want = append(want, u.ID)
				}
				if tc.fifo {
					// FIFO keeps each group's order.
					for _, g := range []string{"111111111111", "222222222222"} {
						if a, b := filterPrefix(got, "metrics/"+g), filterPrefix(want, "metrics/"+g); !slices.Equal(a, b) {
							t.Errorf("group %s order:\n got %v\nwant %v", g, a, b)
						}
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("received %v\nwant %v", got, want)
				}
				queueEmpty(t, client, url)
			})

			t.Run("a retry waits for its delay", func(t *testing.T) {
				t.Parallel()
				client, url, _ := simtest.MotoSQS(t, simtest.MotoQueue{FIFO: tc.fifo, MaxReceiveCount: 5})
				q, err := fanout.NewSQS(client, url, fanout.SQSConfig{WaitTime: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				u := motoUnits(t, 1, "111111111111/us-east-1")[0]
				u.Attempt = 1
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				start := time.Now()
				if err := q.Send(ctx, 1500*time.Millisecond, u); err != nil {
					t.Fatal(err)
				}
				m, err := q.Receive(ctx)
				if err != nil {
					t.Fatal(err)
				}
				// 1.5s is rounded up to DelaySeconds 2; allow moto's
				// and the clock's slack.
				if el := time.Since(start); el < 1900*time.Millisecond {
					t.Errorf("received after %v, before the 2s delay", el)
				}
				if m.Unit().ID != u.ID || m.Unit().Attempt != 1 {
					t.Errorf("received %+v, want %s attempt 1", m.Unit(), u.ID)
				}
				wantCount := 1
				if tc.fifo {
					wantCount = 2 // received once early, hidden, received again
				}
				if rc := m.(*fanout.SQSMessage).ReceiveCount(); rc != wantCount {
					t.Errorf("ReceiveCount = %d, want %d", rc, wantCount)
				}
				if err := m.Ack(ctx); err != nil {
					t.Fatal(err)
				}
				queueEmpty(t, client, url)
			})

			t.Run("a poison message ends in the DLQ and does not block its group", func(t *testing.T) {
				t.Parallel()
				const maxReceive = 2
				client, url, dlq := simtest.MotoSQS(t, simtest.MotoQueue{FIFO: tc.fifo, MaxReceiveCount: maxReceive})
				var logs syncBuffer
				q, err := fanout.NewSQS(client, url, fanout.SQSConfig{WaitTime: time.Second, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(`{"id":"half a unit"`)}
				if tc.fifo {
					in.MessageGroupId = aws.String("111111111111/us-east-1")
					in.MessageDeduplicationId = aws.String("poison")
				}
				poison, err := client.SendMessage(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				good := motoUnits(t, 1, "111111111111/us-east-1")[0]
				if err := q.Send(ctx, 0, good); err != nil {
					t.Fatal(err)
				}
				if got := drain(ctx, t, q, 1); got[0] != good.ID {
					t.Fatalf("received %v, want %s", got, good.ID)
				}
				// Keep receiving until the redrive policy has moved the
				// poison message: Receive must never return it.
				rctx, rcancel := context.WithTimeout(ctx, time.Duration(maxReceive+3)*time.Second)
				m, err := q.Receive(rctx)
				rcancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Receive = %v, %v; want nothing until the deadline", m, err)
				}
				out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), WaitTimeSeconds: 1})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Messages) != 1 || aws.ToString(out.Messages[0].MessageId) != aws.ToString(poison.MessageId) {
					t.Fatalf("DLQ holds %d messages, want the poison message %s", len(out.Messages), aws.ToString(poison.MessageId))
				}
				if n := strings.Count(logs.String(), "message_id="+aws.ToString(poison.MessageId)); n != maxReceive {
					t.Errorf("poison message logged %d times, want once per receive (%d):\n%s", n, maxReceive, logs.String())
				}
				queueEmpty(t, client, url)
			})

			t.Run("pool end to end", func(t *testing.T) {
				t.Parallel()
				client, url, _ := simtest.MotoSQS(t, simtest.MotoQueue{FIFO: tc.fifo, MaxReceiveCount: 5})
				q, err := fanout.NewSQS(client, url, fanout.SQSConfig{WaitTime: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				units := motoUnits(t, 12, "111111111111/us-east-1", "222222222222/eu-west-1", "333333333333/us-east-1")
				var calls atomic.Int32
				handler := func(ctx context.Context, u fanout.Unit) error {
					calls.Add(1)
					if u.Account == "222222222222" && u.Attempt == 0 {
						return errors.New("ThrottlingException: rate exceeded") // retried with a delay
					}
					if u.Account == "333333333333" {
						return fanout.Permanent(errors.New("AccessDenied"))
					}
					return nil
				}
				ledger := fanout.NewLedger()
				pool, err := fanout.NewPool(q, handler, ledger, fanout.Config{Workers: 4, MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				if err := pool.Submit(ctx, units...); err != nil {
					t.Fatal(err)
				}
				pool.CloseInput()
				if err := pool.Run(ctx); err != nil {
					t.Fatal(err)
				}
				cov := ledger.Snapshot()
				if cov.Items.Total != 12 || cov.Items.Done != 8 || cov.Items.Failed != 4 {
					t.Errorf("coverage %+v, want 12 items: 8 done, 4 failed", cov.Items)
				}
				st := pool.Stats()
				if st.Retries != 4 || st.AckErrors != 0 || calls.Load() != 16 {
					t.Errorf("stats %+v, %d handler calls; want 4 retries, no ack errors, 16 calls", st, calls.Load())
				}
				queueEmpty(t, client, url)
			})
		})
	}
}

func filterPrefix(ids []string, prefix string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	return out
}

// TestMotoFIFOGroupLock documents the property the FIFO design rests on,
// as moto implements it: while a message of a group is in flight, no
// other receive gets that group's messages; other groups flow.
func TestMotoFIFOGroupLock(t *testing.T) {
	client, url, _ := simtest.MotoSQS(t, simtest.MotoQueue{FIFO: true, VisibilityTimeout: 30 * time.Second})
	ctx := context.Background()
	q, err := fanout.NewSQS(client, url, fanout.SQSConfig{WaitTime: time.Second, MaxMessages: 1})
	if err != nil {
		t.Fatal(err)
	}
	units := append(motoUnits(t, 2, "111111111111/us-east-1"), motoUnits(t, 1, "222222222222/us-east-1")...)
	if err := q.Send(ctx, 0, units...); err != nil {
		t.Fatal(err)
	}
	first, err := q.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.Unit().ID != units[0].ID {
		t.Fatalf("first = %s, want %s", first.Unit().ID, units[0].ID)
	}
	// Another consumer (a raw receive) sees only the other group.
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || !strings.Contains(aws.ToString(out.Messages[0].Body), `"account":"222222222222"`) {
		var bodies []string
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
		}
		t.Fatalf("while group 111111111111/us-east-1 is in flight, another receive got %v; want only the 222222222222 unit", bodies)
	}
}

// TestSQSMotoPairExclusivity runs three workers (each its own SQS queue
// client and pool, as three Lambda invocations would be) over one queue
// and records, per account/region, how many workers hold its units at
// once. On a FIFO queue grouped by account/region it must be one, so a
// worker may spend the pair's whole quota fraction; on a standard queue
// it is whatever the polls happen to bring, logged for comparison.
func TestSQSMotoPairExclusivity(t *testing.T) {
	const workers, units, hold = 3, 24, 40 * time.Millisecond
	for _, tc := range []struct {
		name string
		fifo bool
	}{
		{"standard", false},
		{"fifo", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, url, _ := simtest.MotoSQS(t, simtest.MotoQueue{FIFO: tc.fifo, MaxReceiveCount: 5})
			all := motoUnits(t, units, "111111111111/us-east-1", "222222222222/eu-west-1")
			sender, err := fanout.NewSQS(client, url, fanout.SQSConfig{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := sender.Send(ctx, 0, all...); err != nil {
				t.Fatal(err)
			}
			var (
				mu      sync.Mutex
				holders = map[string]map[int]int{} // pair → worker → units held
				maxHold = map[string]int{}
				handled atomic.Int32
			)
			runCtx, stop := context.WithCancel(ctx)
			defer stop()
			start := time.Now()
			var wg sync.WaitGroup
			for w := range workers {
				q, err := fanout.NewSQS(client, url, fanout.SQSConfig{WaitTime: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				handler := func(ctx context.Context, u fanout.Unit) error {
					pair := u.Account + "/" + u.Region
					mu.Lock()
					if holders[pair] == nil {
						holders[pair] = map[int]int{}
					}
					holders[pair][w]++
					maxHold[pair] = max(maxHold[pair], len(holders[pair]))
					mu.Unlock()
					time.Sleep(hold)
					mu.Lock()
					if holders[pair][w]--; holders[pair][w] == 0 {
						delete(holders[pair], w)
					}
					mu.Unlock()
					if handled.Add(1) == units {
						stop()
					}
					return nil
				}
				pool, err := fanout.NewPool(q, handler, fanout.NewLedger(), fanout.Config{Workers: 4})
				if err != nil {
					t.Fatal(err)
				}
				wg.Go(func() {
					if err := pool.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
						t.Errorf("worker %d: %v", w, err)
					}
				})
			}
			wg.Wait()
			if n := handled.Load(); n != units {
				t.Fatalf("handled %d of %d units", n, units)
			}
			t.Logf("%s queue: %d units of 2 pairs on %d workers in %v; most workers holding one pair at once: %v",
				tc.name, units, workers, time.Since(start).Round(10*time.Millisecond), maxHold)
			if tc.fifo {
				for pair, n := range maxHold {
					if n != 1 {
						t.Errorf("pair %s held by %d workers at once on a FIFO queue", pair, n)
					}
				}
			}
			queueEmpty(t, client, url)
		})
	}
}
