package opsgenie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
	"github.com/lambdaudit/lambdaudit/notify/slack"
	"github.com/lambdaudit/lambdaudit/notify/text"
	"github.com/lambdaudit/lambdaudit/store"
)

// ogManyIns is n critical insights of n functions, in the report's order.
func ogManyIns(n int, kind string, sev insights.Severity) []insights.Insight {
	out := make([]insights.Insight, n)
	for i := range out {
		out[i] = ogIns(fmt.Sprintf("fn-%02d", i), kind, sev)
	}
	return out
}

// A refused key (401, 403) stops the send at the first request and is
// told once: one request reaches the server, one error line is logged,
// the error names the refusal once and how many requests were not sent.
func TestOpsgenieStopsAtRefusedKey(t *testing.T) {
	cases := []struct {
		name   string
		key    string // the server's key
		fault  *ogFault
		status string
	}{
		{name: "wrong key: 401", key: "another-key", status: "HTTP 401"},
		{name: "integration without the right: 403", key: notifytest.OpsgenieKey,
			fault: &ogFault{Status: 403, Body: `{"message":"Integration is not allowed to create alerts","took":0.001,"requestId":"r-1"}`}, status: "HTTP 403"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newOgServer(t, tc.key, "")
			ins := ogManyIns(13, "error-rate", insights.Critical)
			if tc.fault != nil {
				srv.fault(ins[0].Key, *tc.fault)
			}
			var logs bytes.Buffer
			o := newOgSender(t, Config{APIKey: notifytest.OpsgenieKey, BaseURL: srv.URL()}, &ogSleeps{}, &logs)
			st, err := store.NewDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			run, err := o.Run(context.Background(), st, &insights.Report{ReportDay: "2026-11-20", Insights: ins}, ScanCoverage{})
			if n := len(srv.requests()); n != 1 {
				t.Errorf("server got %d requests, want 1", n)
			}
			if err == nil || !errors.Is(err, ErrKeyRefused) || !errors.Is(err, ErrRequest) {
				t.Fatalf("Run error %v, want the key refused", err)
			}
			if c := strings.Count(err.Error(), tc.status); c != 1 {
				t.Errorf("the error tells the refusal %d times: %v", c, err)
			}
			if !strings.Contains(err.Error(), "12 other requests not sent") || !strings.Contains(err.Error(), "OPSGENIE_API_KEY") {
				t.Errorf("the error does not say what was not sent and what to check: %v", err)
			}
			// Run returns the refusal; its caller logs it once. Nothing else
			// is logged as an error.
			if c := strings.Count(logs.String(), `"level":"ERROR"`); c != 0 {
				t.Errorf("%d error lines logged, want none (the returned error says it):\n%s", c, logs.String())
			}
			if run.Failed != 13 || run.Accepted != 0 {
				t.Errorf("accepted %d failed %d", run.Accepted, run.Failed)
			}
			if len(run.Open.Alerts) != 0 {
				t.Errorf("open set after a refused key: %v", run.Open.Alerts)
			}
		})
	}
}

// Priorities per kind win over the severity's; the defaults make a
// deprecated runtime P4 whatever its severity.
func TestOpsgeniePriorityPerKind(t *testing.T) {
	ins := []insights.Insight{ogIns("a", "timeouts", insights.Critical), ogIns("b", "deprecated-runtime", insights.Critical),
		ogIns("c", "deprecated-runtime", insights.Warning), ogIns("d", "cost-spike", insights.Warning), ogIns("e", "throttles", insights.Critical)}
	cases := []struct {
		name string
		env  string // OPSGENIE_PRIORITIES
		want map[string]string
	}{
		{"defaults", "", map[string]string{"a": "P2", "b": "P4", "c": "P4", "d": "P3", "e": "P2"}},
		{"kinds win over severities", "timeouts=P1,deprecated-runtime=P5,critical=P2,warning=P4",
			map[string]string{"a": "P1", "b": "P5", "c": "P5", "d": "P4", "e": "P2"}},
		{"a severity alone keeps the kind defaults", "critical=P1",
			map[string]string{"a": "P1", "b": "P4", "c": "P4", "d": "P3", "e": "P1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ConfigFromLookup(ogEnv("OPSGENIE_PRIORITIES", tc.env))
			if err != nil {
				t.Fatal(err)
			}
			cfg.DryRun = true
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			p := AlertPlan(&insights.Report{ReportDay: "2026-11-20", Insights: ins}, NewOpenAlerts(), ScanCoverage{}, cfg)
			for _, req := range p.Requests {
				fn := strings.Split(req.Alias, "/")[2]
				if req.Create.Priority != tc.want[fn] {
					t.Errorf("%s: %s, want %s", req.Alias, req.Create.Priority, tc.want[fn])
				}
			}
		})
	}
	for _, bad := range []struct{ env, want string }{
		{"timeout=P1", `"timeout" is neither a severity (critical, warning) nor a kind (near-timeout, timeouts,`},
		{"deprecated-runtime=P9", `deprecated-runtime="P9": must be P1 to P5`},
	} {
		cfg, err := ConfigFromLookup(ogEnv("OPSGENIE_PRIORITIES", bad.env))
		if err == nil {
			cfg.DryRun = true
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("OPSGENIE_PRIORITIES=%s: %v, want %q", bad.env, err, bad.want)
		}
	}
}

// A run opens at most MaxNewAlerts alerts (default 20); the rest are
// listed in one summary alert, which the next run closes once everything
// has its alert. Sent to the contract server: the summary is a valid
// create.
func TestOpsgenieCapsNewAlerts(t *testing.T) {
	srv := newOgServer(t, notifytest.OpsgenieKey, "")
	ins := append(ogManyIns(22, "error-rate", insights.Critical), ogManyIns(3, "near-timeout", insights.Warning)...)
	st, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := newOgSender(t, Config{APIKey: notifytest.OpsgenieKey, BaseURL: srv.URL()}, &ogSleeps{}, nil)
	r := &insights.Report{ReportDay: "2026-11-20", Insights: ins}
	run, err := o.Run(context.Background(), st, r, ScanCoverage{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Plan.New != DefaultMaxNewAlerts || len(run.Plan.Capped) != 5 || run.Plan.Cap != 20 {
		t.Fatalf("new %d capped %d cap %d, want 20, 5, 20", run.Plan.New, len(run.Plan.Capped), run.Plan.Cap)
	}
	open := srv.openAliases()
	if len(open) != 21 {
		t.Errorf("%d alerts open, want 20 and the summary", len(open))
	}
	last := run.Plan.Requests[len(run.Plan.Requests)-1]
	if last.Alias != CapAlias || last.Create.Priority != "P2" ||
		!strings.Contains(last.Create.Message, "5 insights of 2026-11-20 opened no alert (cap of 20 new alerts a run): 2 critical, 3 warnings") {
		t.Errorf("summary alert %s %s %q", last.Alias, last.Create.Priority, last.Create.Message)
	}
	for _, c := range run.Plan.Capped {
		if !strings.Contains(last.Create.Description, c.Alias) {
			t.Errorf("the summary does not list %s", c.Alias)
		}
	}
	// A first run on a large fleet: the summary lists the 50 most urgent
	// and counts the rest.
	big := AlertPlan(&insights.Report{ReportDay: "2026-11-20", Insights: ogManyIns(300, "error-rate", insights.Critical)}, NewOpenAlerts(), ScanCoverage{}, Config{})
	sum := big.Requests[len(big.Requests)-1].Create
	if len(big.Requests) != 21 || strings.Count(sum.Description, "\n- [critical P2]") != 50 || !strings.Contains(sum.Description, "- and 230 more: see the digest and report.csv") {
		t.Errorf("summary of 280 capped: %d requests, description:\n%s", len(big.Requests), sum.Description)
	}
	// The next day: the 20 are repeats (not counted), the 5 open now; the
	// summary closes.
	r2 := *r
	r2.ReportDay = "2026-11-21"
	run2, err := o.Run(context.Background(), st, &r2, ScanCoverage{})
	if err != nil {
		t.Fatal(err)
	}
	if run2.Plan.New != 5 || run2.Plan.Repeated != 20 || len(run2.Plan.Capped) != 0 || run2.Plan.Closing != 1 {
		t.Errorf("day 2: new %d repeated %d capped %d closing %d", run2.Plan.New, run2.Plan.Repeated, len(run2.Plan.Capped), run2.Plan.Closing)
	}
	if _, ok := srv.openAliases()[CapAlias]; ok {
		t.Error("the summary alert is still open")
	}
	if len(srv.openAliases()) != 25 {
		t.Errorf("%d open, want 25", len(srv.openAliases()))
	}
	// No cap.
	p := AlertPlan(r, NewOpenAlerts(), ScanCoverage{}, Config{MaxNewAlerts: -1})
	if p.New != 25 || len(p.Capped) != 0 {
		t.Errorf("no cap: new %d capped %d", p.New, len(p.Capped))
	}
}

// A report older than the stored open set's is refused (it would close
// live alerts) unless forced; the same day again is fine.
func TestOpsgenieRefusesOlderReport(t *testing.T) {
	srv := newOgServer(t, notifytest.OpsgenieKey, "")
	st, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	today := &insights.Report{ReportDay: "2026-11-20", Insights: []insights.Insight{ogIns("a", "error-rate", insights.Critical)}}
	older := &insights.Report{ReportDay: "2026-11-19"}
	o := newOgSender(t, Config{APIKey: notifytest.OpsgenieKey, BaseURL: srv.URL()}, &ogSleeps{}, nil)
	if _, err := o.Run(context.Background(), st, today, ScanCoverage{}); err != nil {
		t.Fatal(err)
	}
	sent := len(srv.requests())
	run, err := o.Run(context.Background(), st, older, ScanCoverage{})
	if !errors.Is(err, ErrOlderReport) || run != nil ||
		!strings.Contains(err.Error(), "report day 2026-11-19 is older than 2026-11-20") || !strings.Contains(err.Error(), "OPSGENIE_FORCE") {
		t.Fatalf("older report: run %v, error %v", run, err)
	}
	if len(srv.requests()) != sent || len(srv.openAliases()) != 1 {
		t.Fatalf("the older report sent %d requests", len(srv.requests())-sent)
	}
	if _, err := o.Run(context.Background(), st, today, ScanCoverage{}); err != nil {
		t.Fatalf("the same day again: %v", err)
	}
	forced := newOgSender(t, Config{APIKey: notifytest.OpsgenieKey, BaseURL: srv.URL(), Force: true}, &ogSleeps{}, nil)
	run, err = forced.Run(context.Background(), st, older, ScanCoverage{})
	if err != nil || run.Plan.Closing != 1 || len(srv.openAliases()) != 0 {
		t.Fatalf("forced: %v, plan %+v, open %v", err, run.Plan, srv.openAliases())
	}
	cfg, err := ConfigFromLookup(ogEnv("OPSGENIE_FORCE", "true"))
	if err != nil || !cfg.Force {
		t.Errorf("OPSGENIE_FORCE=true: %+v, %v", cfg, err)
	}
}

// ogEnv is an environment holding one variable.
func ogEnv(name, value string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		if k == name {
			return value, true
		}
		return "", false
	}
}

// The Slack and terminal digests say how many insights the cap left
// without an alert.
func TestDigestSaysAlertsCapped(t *testing.T) {
	r := &insights.Report{ReportDay: "2026-11-20", Insights: ogManyIns(25, "error-rate", insights.Critical)}
	r.Counts.Critical = 25
	p := AlertPlan(r, NewOpenAlerts(), ScanCoverage{}, Config{})
	msg := slack.Digest(r, slack.DigestOptions{AlertsCapped: len(p.Capped), AlertCap: p.Cap})
	b, err := json.Marshal(msg.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Opsgenie: 5 insights opened no alert (cap of 20 new alerts a run); one summary alert lists them"; !strings.Contains(string(b), want) {
		t.Errorf("the digest does not say %q", want)
	}
	b, _ = json.Marshal(slack.Digest(r, slack.DigestOptions{}).Blocks)
	if strings.Contains(string(b), "opened no alert") {
		t.Error("the digest speaks of a cap that was not reached")
	}
	var term strings.Builder
	if err := text.WriteWith(&term, r, text.Options{AlertsCapped: len(p.Capped), AlertCap: p.Cap}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(term.String(), "Opsgenie: 5 insights opened no alert") {
		t.Errorf("the terminal digest does not say the cap:\n%s", term.String())
	}
}
