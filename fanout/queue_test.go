package fanout_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/fanout"
)

func unitN(id string) fanout.Unit {
	return fanout.Unit{ID: id, Account: "111111111111", Region: "us-east-1", Kind: "k", Items: []string{"item-" + id}}
}

func receiveID(t *testing.T, q *fanout.Memory) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := q.Receive(ctx)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if err := m.Ack(ctx); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	return m.Unit().ID
}

func TestMemoryOrderAndDelay(t *testing.T) {
	ctx := context.Background()
	q := fanout.NewMemory()
	q.Send(ctx, 20*time.Millisecond, unitN("late"))
	q.Send(ctx, 0, unitN("a"), unitN("b"))
	q.Send(ctx, time.Hour, unitN("never"))
	for _, want := range []string{"a", "b", "late"} {
		if got := receiveID(t, q); got != want {
			t.Fatalf("received %q, want %q", got, want)
		}
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if m, err := q.Receive(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Receive with a unit delayed an hour = %v, %v; want the ctx's deadline error", m, err)
	}
	if q.Len() != 1 || q.InFlight() != 0 {
		t.Errorf("Len %d InFlight %d, want 1 and 0", q.Len(), q.InFlight())
	}
}

func TestMemoryWakesReceiver(t *testing.T) {
	q := fanout.NewMemory()
	got := make(chan string)
	go func() { got <- receiveID(t, q) }()
	q.Send(context.Background(), 0, unitN("x"))
	if id := <-got; id != "x" {
		t.Errorf("received %q", id)
	}
}

func TestMemoryClose(t *testing.T) {
	ctx := context.Background()
	q := fanout.NewMemory()
	q.Send(ctx, 0, unitN("a"))
	q.Send(ctx, 5*time.Millisecond, unitN("delayed"))
	q.Close()
	if err := q.Send(ctx, 0, unitN("b")); !errors.Is(err, fanout.ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
	// Close drains: what was queued, delayed units included, still comes.
	for _, want := range []string{"a", "delayed"} {
		if got := receiveID(t, q); got != want {
			t.Fatalf("received %q, want %q", got, want)
		}
	}
	if _, err := q.Receive(ctx); !errors.Is(err, fanout.ErrClosed) {
		t.Errorf("Receive on a drained closed queue = %v, want ErrClosed", err)
	}
	// A blocked receiver is woken by Close.
	q2 := fanout.NewMemory()
	errc := make(chan error)
	go func() { _, err := q2.Receive(ctx); errc <- err }()
	q2.Close()
	if err := <-errc; !errors.Is(err, fanout.ErrClosed) {
		t.Errorf("blocked Receive after Close = %v, want ErrClosed", err)
	}
}

func TestMemoryCancelAndAck(t *testing.T) {
	q := fanout.NewMemory()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Receive(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Receive with a cancelled ctx = %v", err)
	}
	if err := q.Send(ctx, 0, unitN("a")); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled ctx = %v", err)
	}
	u := unitN("a")
	u.Body = json.RawMessage(`{"queries":[{"id":"q0"}]}`)
	u.Attempt = 2
	q.Send(context.Background(), 0, u)
	m, err := q.Receive(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Unit(), u) {
		t.Errorf("unit after the JSON trip\n %+v\nwant\n %+v", m.Unit(), u)
	}
	if q.InFlight() != 1 {
		t.Errorf("InFlight %d before Ack, want 1", q.InFlight())
	}
	if err := m.Ack(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Ack(context.Background()); err == nil {
		t.Error("second Ack: no error")
	}
	if q.InFlight() != 0 {
		t.Errorf("InFlight %d after Ack, want 0", q.InFlight())
	}
}
