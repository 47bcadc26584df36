package opsgenie

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
	"github.com/lambdaudit/lambdaudit/store"
)

// refusedURL is a loopback URL nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// An Opsgenie endpoint that does not answer (silent, or refusing the
// connection) stops the run at the first request, after its retries:
// the rest are not sent, and it is told once, naming the URL.
func TestOpsgenieStopsWithoutAnswer(t *testing.T) {
	silent, accepted := simtest.SilentEndpointCounting(t)
	tests := []struct {
		name  string
		url   string
		conns *atomic.Int32
	}{
		{"silent", silent, accepted},
		{"refused", refusedURL(t), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, r := notifytest.OpsgenieFixture(t)
			o, err := New(Config{APIKey: notifytest.OpsgenieKey, BaseURL: tt.url}, &http.Client{Timeout: 100 * time.Millisecond}, nil,
				Retry{Attempts: 2, Base: 10 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			st, err := store.NewDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			run, err := o.Run(context.Background(), st, r, CoverageFromScan(res))
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("took %v; want the first request's two 100ms attempts", el)
			}
			if run == nil || len(run.Results) < 3 {
				t.Fatalf("run %+v: want several requests planned", run)
			}
			if !errors.Is(err, ErrNoAnswer) {
				t.Fatalf("err = %v, want ErrOpsgenie", err)
			}
			if a := run.Results[0].Attempts; a != 2 {
				t.Errorf("first request: %d attempts, want 2", a)
			}
			for i, res := range run.Results[1:] {
				if res.Attempts != 0 {
					t.Errorf("request %d sent (%d attempts) after the first got no answer", i+2, res.Attempts)
				}
			}
			if tt.conns != nil && tt.conns.Load() != 2 {
				t.Errorf("%d connections, want 2 (the first request's attempts)", tt.conns.Load())
			}
			msg := err.Error()
			want := fmt.Sprintf("opsgenie at %s: no answer within ", tt.url)
			if !strings.Contains(msg, want) || !strings.Contains(msg, fmt.Sprintf(": %d requests not sent", len(run.Results)-1)) {
				t.Errorf("error %q: want %q… and the requests not sent", msg, want)
			}
			if n := strings.Count(msg, "no answer"); n != 1 {
				t.Errorf("told %d times, want once: %s", n, msg)
			}
			if strings.Contains(msg, notifytest.OpsgenieKey) {
				t.Error("the key is in the error")
			}
		})
	}
}

// Requests not sent because the run was stopped are counted apart from
// the ones that were sent and failed, once: "11 of 12 requests failed: 1
// sent and failed, 10 not sent", not "11 of 12 failed" nor one line each.
func TestOpsgenieNotSentCountedApart(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprint(w, `{"result":"Request will be processed","requestId":"r-1"}`)
			return
		}
		// The run is interrupted while the second request fails.
		cancel(errors.New("interrupted by SIGTERM"))
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	res, r := notifytest.OpsgenieFixture(t)
	o, err := New(Config{APIKey: notifytest.OpsgenieKey, BaseURL: srv.URL}, nil, nil, Retry{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run, err := o.Run(ctx, st, r, CoverageFromScan(res))
	if run == nil || err == nil {
		t.Fatalf("run %v, err %v: want the interruption told", run, err)
	}
	total := len(run.Results)
	want := fmt.Sprintf("opsgenie: %d of %d requests failed: 1 sent and failed, %d not sent (interrupted by SIGTERM)", total-1, total, total-2)
	if msg := err.Error(); !strings.Contains(msg, want) || strings.Count(msg, "not sent") != 1 {
		t.Errorf("error %q: want %q, once", msg, want)
	}
	if run.Accepted != 1 || run.Failed != total-1 || n.Load() != 2 {
		t.Errorf("accepted %d failed %d, %d requests received, want 1, %d and 2", run.Accepted, run.Failed, n.Load(), total-1)
	}
}
