package opsgenie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/store"
)

// ogSleeps records the sender's waits instead of waiting.
type ogSleeps struct {
	mu sync.Mutex
	d  []time.Duration
	// cancel, when set, is called on the first wait (a ctx ending during
	// a back-off).
	cancel context.CancelFunc
}

func (s *ogSleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	c := s.cancel
	s.mu.Unlock()
	if c != nil {
		c()
	}
	return ctx.Err()
}

// newOgSender returns a sender for srv with recorded waits and JSON logs
// (debug level) in logs.
func newOgSender(t *testing.T, cfg Config, sleeps *ogSleeps, logs *bytes.Buffer) *Client {
	t.Helper()
	if logs == nil {
		logs = &bytes.Buffer{}
	}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o, err := New(cfg, nil, log, Retry{Sleep: sleeps.sleep})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// The fixture's requests sent to a server enforcing the contract: every
// one accepted with its requestId recorded, and the bodies received are
// the golden ones. Then the next day's closes, at JSM's base URL.
func TestOpsgenieSendContract(t *testing.T) {
	res, r := notifytest.OpsgenieFixture(t)
	cov := CoverageFromScan(res)
	cfg := Config{APIKey: notifytest.OpsgenieKey, Responders: []Responder{{Type: "team", Name: "platform"}}, Tags: []string{"prod"}}

	for _, tc := range []struct{ name, prefix, golden string }{
		{"opsgenie", "", "testdata/opsgenie-day1.golden.json"},
		{"jsm", "/jsm/ops/integration", "testdata/opsgenie-day2.golden.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newOgServer(t, notifytest.OpsgenieKey, tc.prefix)
			cfg := cfg
			cfg.BaseURL = srv.URL()
			plan := AlertPlan(r, NewOpenAlerts(), cov, cfg)
			if tc.name == "jsm" {
				// The golden day 2: what TestAlertPlanGolden planned.
				plan = ogDay2(t, r, cov, cfg)
			}
			o := newOgSender(t, cfg, &ogSleeps{}, nil)
			results := o.Send(context.Background(), plan.Requests)
			got := srv.requests()
			if len(got) != len(plan.Requests) {
				t.Fatalf("server received %d requests, want %d", len(got), len(plan.Requests))
			}
			ids := map[string]bool{}
			for _, res := range results {
				if res.Err != nil || res.Status != http.StatusAccepted || res.Attempts != 1 ||
					!strings.HasPrefix(res.RequestID, "00000000-0000-4000-8000-") || ids[res.RequestID] {
					t.Errorf("%s: %+v, want accepted with its own requestId", res.Alias, res)
				}
				ids[res.RequestID] = true
			}
			// The bodies received are the golden file's.
			var golden struct {
				Requests []DumpedRequest `json:"requests"`
			}
			b, err := os.ReadFile(tc.golden)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &golden); err != nil {
				t.Fatal(err)
			}
			if len(golden.Requests) != len(got) {
				t.Fatalf("golden holds %d requests, server got %d", len(golden.Requests), len(got))
			}
			for i, g := range golden.Requests {
				var want, have any
				json.Unmarshal(g.Body, &want)
				json.Unmarshal(got[i].Body, &have)
				if !reflect.DeepEqual(want, have) {
					t.Errorf("request %d (%s) body differs from %s", i, g.Alias, tc.golden)
				}
				path := strings.TrimPrefix(g.URL, "https://api.opsgenie.com")
				path = strings.TrimPrefix(path, JSM)
				path, query, _ := strings.Cut(path, "?")
				if got[i].Path != tc.prefix+path || got[i].RawQuery != query {
					t.Errorf("request %d: %s?%s, want %s%s?%s", i, got[i].Path, got[i].RawQuery, tc.prefix, path, query)
				}
			}
			// The account's alerts: one per alertable insight, none twice.
			if tc.name == "opsgenie" && len(srv.openAliases()) != plan.New {
				t.Errorf("open alerts %d, want %d", len(srv.openAliases()), plan.New)
			}
		})
	}
}

// ogDay2 is TestAlertPlanGolden's second day.
func ogDay2(t *testing.T, r *insights.Report, cov ScanCoverage, cfg Config) Plan {
	t.Helper()
	day1 := AlertPlan(r, NewOpenAlerts(), cov, cfg)
	r2 := *r
	r2.Insights = nil
	skipped := false
	for _, in := range r.Insights {
		if !skipped && in.Severity == insights.Warning {
			skipped = true
			continue
		}
		r2.Insights = append(r2.Insights, in)
	}
	open := day1.Open
	open.Alerts["111111111111/ap-east-1/edge-auth/error-rate"] = OpenAlert{Account: "111111111111", Region: "ap-east-1",
		Function: "edge-auth", Kind: "error-rate", Severity: insights.Critical, Priority: "P2", OpenedOn: "2026-11-12", LastSeenOn: "2026-11-19"}
	open.Alerts["111111111111/us-east-1/old-cron/timeouts"] = OpenAlert{Account: "111111111111", Region: "us-east-1",
		Function: "old-cron", Kind: "timeouts", Severity: insights.Warning, Priority: "P3", OpenedOn: "2026-11-18", LastSeenOn: "2026-11-19"}
	return AlertPlan(&r2, open, cov, cfg)
}

// ogOneCreate is a plan of one create.
func ogOneCreate() []AlertRequest {
	in := ogIns("api", "near-timeout", insights.Warning)
	return AlertPlan(&insights.Report{ReportDay: "2026-11-20", Insights: []insights.Insight{in}}, NewOpenAlerts(), ScanCoverage{}, Config{}).Requests
}

// Rate limiting and server errors are retried with back-off, honouring
// Retry-After; other refusals are not.
func TestOpsgenieRetry(t *testing.T) {
	alias := ogK + "api/near-timeout"
	httpDate := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		name     string
		faults   []ogFault
		ok       bool
		attempts int
		status   int
		sleeps   []time.Duration // nil: check sleepsIn instead
		sleepsIn [2]time.Duration
		err      string
	}{
		{name: "429 with Retry-After in seconds", faults: []ogFault{{Status: 429, Header: map[string]string{"Retry-After": "7"}}},
			ok: true, attempts: 2, status: 202, sleeps: []time.Duration{7 * time.Second}},
		{name: "429 with Retry-After as an HTTP date", faults: []ogFault{{Status: 429, Header: map[string]string{"Retry-After": httpDate}}},
			ok: true, attempts: 2, status: 202, sleepsIn: [2]time.Duration{28 * time.Second, 30 * time.Second}},
		{name: "429 without Retry-After: back-off", faults: []ogFault{{Status: 429}},
			ok: true, attempts: 2, status: 202, sleeps: []time.Duration{time.Second}},
		{name: "503 then 500 then accepted: doubling back-off", faults: []ogFault{{Status: 503}, {Status: 500}},
			ok: true, attempts: 3, status: 202, sleeps: []time.Duration{time.Second, 2 * time.Second}},
		{name: "503 with Retry-After", faults: []ogFault{{Status: 503, Header: map[string]string{"Retry-After": "3"}}},
			ok: true, attempts: 2, status: 202, sleeps: []time.Duration{3 * time.Second}},
		{name: "connection dropped, then accepted", faults: []ogFault{{Hangup: true}},
			ok: true, attempts: 2, status: 202, sleeps: []time.Duration{time.Second}},
		{name: "5xx past the attempts", faults: []ogFault{{Status: 500}, {Status: 502}, {Status: 503}, {Status: 504}, {Status: 500}},
			attempts: 5, status: 500, sleeps: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second},
			err: "HTTP 500: Internal Server Error (requestId err-00000000) (gave up after 5 attempts)"},
		{name: "Retry-After longer than the sender waits", faults: []ogFault{{Status: 429, Header: map[string]string{"Retry-After": "3600"}}},
			attempts: 1, status: 429, sleeps: []time.Duration{}, err: "Retry-After 1h0m0s is longer than the 2m0s the sender waits"},
		{name: "422 is not retried", faults: []ogFault{{Status: 422, Body: `{"message":"Request body is not processable. Please check the errors.","errors":{"message":"Message can not be empty."},"took":0.001,"requestId":"r-422"}`}},
			attempts: 1, status: 422, sleeps: []time.Duration{},
			err: `create ` + ogK + `api/near-timeout refused: HTTP 422: Request body is not processable. Please check the errors. {"message":"Message can not be empty."} (requestId r-422)`},
		{name: "402 (plan) is not retried", faults: []ogFault{{Status: 402}}, attempts: 1, status: 402, sleeps: []time.Duration{}, err: "refused: HTTP 402"},
		{name: "an HTML error page", faults: []ogFault{{Status: 502, Body: "<html>Bad Gateway</html>"}, {Status: 403, Body: "<html>Forbidden</html>"}},
			attempts: 2, status: 403, sleeps: []time.Duration{time.Second}, err: "refused: HTTP 403: <html>Forbidden</html>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newOgServer(t, notifytest.OpsgenieKey, "")
			srv.fault(alias, c.faults...)
			sleeps := &ogSleeps{}
			o := newOgSender(t, Config{APIKey: notifytest.OpsgenieKey, BaseURL: srv.URL()}, sleeps, nil)
			res := o.Send(context.Background(), ogOneCreate())[0]
			if (res.Err == nil) != c.ok || res.Attempts != c.attempts || res.Status != c.status {
				t.Errorf("got %+v (err %v), want ok %t attempts %d status %d", res, res.Err, c.ok, c.attempts, c.status)
			}
			if c.ok && res.RequestID == "" {
				t.Error("no requestId recorded")
			}
			if c.err != "" && (res.Err == nil || !strings.Contains(res.Err.Error(), c.err)) {
				t.Errorf("error %v, want it to contain %q", res.Err, c.err)
			}
			if res.Err != nil && !errors.Is(res.Err, ErrRequest) {
				t.Errorf("error does not wrap ErrOpsgenie: %v", res.Err)
			}
			if c.sleeps != nil {
				if len(c.sleeps) != len(sleeps.d) || (len(c.sleeps) > 0 && !reflect.DeepEqual(c.sleeps, sleeps.d)) {
					t.Errorf("waits %v, want %v", sleeps.d, c.sleeps)
				}
			} else if len(sleeps.d) != 1 || sleeps.d[0] < c.sleepsIn[0] || sleeps.d[0] > c.sleepsIn[1] {
				t.Errorf("waits %v, want one in %v", sleeps.d, c.sleepsIn)
			}
		})
	}
}

// One alert failing does not stop the others; the run reports it and
// stores what was opened.
func TestOpsgenieOneFailureDoesNotStopOthers(t *testing.T) {
	srv := newOgServer(t, notifytest.OpsgenieKey, "")
	ins := []insights.Insight{ogIns("a", "error-rate", insights.Critical), ogIns("b", "throttles", insights.Critical),
		ogIns("c", "near-timeout", insights.Warning)}
	srv.fault(ogK+"b/throttles", ogFault{Status: 422})
	srv.fault(ogK+"c/near-timeout", ogFault{Status: 500}, ogFault{Status: 500}, ogFault{Status: 500}, ogFault{Status: 500}, ogFault{Status: 500})
	st, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := newOgSender(t, Config{APIKey: notifytest.OpsgenieKey, BaseURL: srv.URL()}, &ogSleeps{}, nil)
	run, err := o.Run(context.Background(), st, &insights.Report{ReportDay: "2026-11-20", Insights: ins}, ScanCoverage{})
	if err == nil || !strings.Contains(err.Error(), "2 of 3 requests failed") || !errors.Is(err, ErrRequest) {
		t.Fatalf("Run error %v", err)
	}
	if run.Accepted != 1 || run.Failed != 2 {
		t.Errorf("accepted %d failed %d", run.Accepted, run.Failed)
	}
	if _, ok := srv.openAliases()[ogK+"a/error-rate"]; !ok {
		t.Error("a was not opened")
	}
	// Stored: a (accepted) and c (a 5xx may have opened it), not b (refused).
	open, err := LoadOpenAlerts(context.Background(), st, OpenAlertsKey)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for a := range open.Alerts {
		got = append(got, strings.TrimPrefix(a, ogK))
	}
	if len(got) != 2 || open.Alerts[ogK+"a/error-rate"].Kind == "" || open.Alerts[ogK+"c/near-timeout"].Kind == "" {
		t.Errorf("stored open set %v", got)
	}
}

// The key appears in no error, no log line and no written request — even
// when the server echoes it back.
func TestOpsgenieKeyNeverLeaks(t *testing.T) {
	srv := newOgServer(t, "another-key", "") // the key is refused: 401 echoing it
	var logs bytes.Buffer
	cfg := Config{APIKey: notifytest.OpsgenieKey, BaseURL: srv.URL()}
	o := newOgSender(t, cfg, &ogSleeps{}, &logs)
	st, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	in := ogIns("api", "near-timeout", insights.Warning)
	run, err := o.Run(context.Background(), st, &insights.Report{ReportDay: "2026-11-20", Insights: []insights.Insight{in}}, ScanCoverage{})
	if err == nil || !strings.Contains(err.Error(), "HTTP 401: Could not authenticate: GenieKey [redacted]") {
		t.Fatalf("Run error %v, want the 401 with the key redacted", err)
	}
	if !strings.Contains(srv.requests()[0].Header.Get("Authorization"), notifytest.OpsgenieKey) {
		t.Fatal("the key was not sent")
	}
	// A dead server: the network error.
	srv.srv.Close()
	res := o.Send(context.Background(), ogOneCreate())
	var dump bytes.Buffer
	if err := WriteRequests(&dump, cfg.BaseURL, run.Plan); err != nil {
		t.Fatal(err)
	}
	results, _ := json.Marshal(append(run.Results, res...))
	stored, _ := os.ReadFile(filepath.Join(st.Root(), OpenAlertsKey))
	for what, s := range map[string]string{"run error": err.Error(), "network error": res[0].Err.Error(), "logs": logs.String(),
		"requests written": dump.String(), "results": string(results), "stored state": string(stored)} {
		if strings.Contains(s, notifytest.OpsgenieKey) {
			t.Errorf("%s holds the key: %s", what, s)
		}
	}
	if !strings.Contains(logs.String(), `"alias":"`+in.Key) {
		t.Errorf("the logs say nothing of the request: %s", logs.String())
	}
}

// ctx ending during a back-off ends the send: the request fails with the
// ctx's error and the rest are not sent.
func TestOpsgenieContext(t *testing.T) {
	srv := newOgServer(t, notifytest.OpsgenieKey, "")
	ins := []insights.Insight{ogIns("a", "error-rate", insights.Critical), ogIns("b", "throttles", insights.Critical)}
	srv.fault(ogK+"a/error-rate", ogFault{Status: 429, Header: map[string]string{"Retry-After": "10"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sleeps := &ogSleeps{cancel: cancel}
	o := newOgSender(t, Config{APIKey: notifytest.OpsgenieKey, BaseURL: srv.URL()}, sleeps, nil)
	p := AlertPlan(&insights.Report{ReportDay: "2026-11-20", Insights: ins}, NewOpenAlerts(), ScanCoverage{}, Config{})
	res := o.Send(ctx, p.Requests)
	if !errors.Is(res[0].Err, context.Canceled) || res[0].Attempts != 1 {
		t.Errorf("first: %+v (%v)", res[0], res[0].Err)
	}
	if !errors.Is(res[1].Err, context.Canceled) || res[1].Attempts != 0 {
		t.Errorf("second: %+v (%v), want not sent", res[1], res[1].Err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server got %d requests, want 1", n)
	}
	// Neither is recorded as open: a was rate limited, b never sent.
	if open := p.Apply(res); len(open.Alerts) != 0 {
		t.Errorf("open after cancel: %v", open.Alerts)
	}
}

// A dry run sends nothing and stores nothing.
func TestOpsgenieDryRun(t *testing.T) {
	srv := newOgServer(t, notifytest.OpsgenieKey, "")
	st, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := newOgSender(t, Config{BaseURL: srv.URL(), DryRun: true}, &ogSleeps{}, nil)
	_, r := notifytest.OpsgenieFixture(t)
	run, err := o.Run(context.Background(), st, r, ScanCoverage{})
	if err != nil {
		t.Fatal(err)
	}
	if !run.DryRun || run.Results != nil || len(run.Plan.Requests) == 0 || len(run.Open.Alerts) != run.Plan.New {
		t.Errorf("dry run: %+v", run)
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("dry run sent %d requests", n)
	}
	if _, err := st.Get(context.Background(), OpenAlertsKey); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("dry run stored the open set: %v", err)
	}
}

// A stored set that cannot be read is not overwritten: the creates go out,
// no close, and the error says what to do.
func TestOpsgenieCorruptState(t *testing.T) {
	srv := newOgServer(t, notifytest.OpsgenieKey, "")
	st, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.Put(ctx, OpenAlertsKey, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	o := newOgSender(t, Config{APIKey: notifytest.OpsgenieKey, BaseURL: srv.URL()}, &ogSleeps{}, nil)
	in := ogIns("api", "near-timeout", insights.Warning)
	run, err := o.Run(ctx, st, &insights.Report{ReportDay: "2026-11-20", Insights: []insights.Insight{in}}, ScanCoverage{})
	if err == nil || !strings.Contains(err.Error(), "remove it to start afresh") {
		t.Fatalf("Run error %v", err)
	}
	if run.Accepted != 1 {
		t.Errorf("accepted %d, want the create sent", run.Accepted)
	}
	if b, _ := st.Get(ctx, OpenAlertsKey); string(b) != "{not json" {
		t.Errorf("the unreadable set was overwritten: %s", b)
	}
}

// The open set survives a restart: a second run, by a new sender with a
// new store instance over the same place, closes what the first opened
// and is now gone, and keeps what the scan could not see.
func ogRestartTest(t *testing.T, newStore func() StateStore) {
	t.Helper()
	ctx := context.Background()
	srv := newOgServer(t, notifytest.OpsgenieKey, "")
	cfg := Config{APIKey: notifytest.OpsgenieKey, BaseURL: srv.URL()}
	day1 := &insights.Report{ReportDay: "2026-11-19", Insights: []insights.Insight{
		ogIns("api", "near-timeout", insights.Warning), ogIns("worker", "error-rate", insights.Critical),
		ogIns("billing", "throttles", insights.Critical)}}
	cov1 := ogCov(map[string]string{"api": scanner.StatusScanned, "worker": scanner.StatusScanned, "billing": scanner.StatusScanned})
	run1, err := newOgSender(t, cfg, &ogSleeps{}, nil).Run(ctx, newStore(), day1, cov1)
	if err != nil {
		t.Fatal(err)
	}
	if run1.Plan.New != 3 || len(srv.openAliases()) != 3 {
		t.Fatalf("day 1: new %d, open at Opsgenie %v", run1.Plan.New, srv.openAliases())
	}

	// Day 2, a new process: api fixed, worker still failing, billing's
	// scan failed.
	day2 := &insights.Report{ReportDay: "2026-11-20", Insights: []insights.Insight{ogIns("worker", "error-rate", insights.Critical)}}
	cov2 := ogCov(map[string]string{"api": scanner.StatusScanned, "worker": scanner.StatusScanned, "billing": scanner.StatusFailed})
	run2, err := newOgSender(t, cfg, &ogSleeps{}, nil).Run(ctx, newStore(), day2, cov2)
	if err != nil {
		t.Fatal(err)
	}
	if run2.Plan.New != 0 || run2.Plan.Repeated != 1 || run2.Plan.Closing != 1 || len(run2.Plan.Kept) != 1 {
		t.Errorf("day 2: new %d repeated %d closing %d kept %v", run2.Plan.New, run2.Plan.Repeated, run2.Plan.Closing, run2.Plan.Kept)
	}
	want := map[string]int{ogK + "worker/error-rate": 2, ogK + "billing/throttles": 1}
	if got := srv.openAliases(); !reflect.DeepEqual(got, want) {
		t.Errorf("open at Opsgenie %v, want %v (worker counted twice, api closed, billing kept)", got, want)
	}
	stored, err := LoadOpenAlerts(ctx, newStore(), OpenAlertsKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Alerts) != 2 || stored.ReportDay != "2026-11-20" || stored.Alerts[ogK+"worker/error-rate"].OpenedOn != "2026-11-19" ||
		stored.Alerts[ogK+"worker/error-rate"].LastSeenOn != "2026-11-20" {
		t.Errorf("stored %+v", stored)
	}
}
