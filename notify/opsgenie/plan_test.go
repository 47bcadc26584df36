package opsgenie

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// ogGolden compares got with testdata/name, rewriting it with -update.
func ogGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *notifytest.Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with -update after checking):\n%s", path, ogFirstDiff(want, got))
	}
}

func ogFirstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant %s\ngot  %s", i+1, a, b)
		}
	}
	return ""
}

// The requests for the fixture's report, first with nothing open (every
// alertable insight is created), then a day later with one insight gone,
// one alert of a region that failed to scan and one of a deleted function.
func TestAlertPlanGolden(t *testing.T) {
	res, r := notifytest.OpsgenieFixture(t)
	cov := CoverageFromScan(res)
	cfg := Config{APIKey: notifytest.OpsgenieKey, Responders: []Responder{{Type: "team", Name: "platform"}}, Tags: []string{"prod"}}

	day1 := AlertPlan(r, NewOpenAlerts(), cov, cfg)
	if day1.New != r.Counts.Critical+r.Counts.Warning || day1.Below != r.Counts.Info || day1.Closing != 0 {
		t.Errorf("day 1: new %d below %d closing %d; report counts %+v", day1.New, day1.Below, day1.Closing, r.Counts)
	}
	var buf bytes.Buffer
	if err := WriteRequests(&buf, US, day1); err != nil {
		t.Fatal(err)
	}
	ogGolden(t, "opsgenie-day1.golden.json", buf.Bytes())

	// Day 2: the same report without its first warning; an alert of the
	// failed region and one of a function that is no longer listed.
	r2 := *r
	r2.Insights = nil
	var gone string
	for _, in := range r.Insights {
		if gone == "" && in.Severity == insights.Warning {
			gone = in.Key
			continue
		}
		r2.Insights = append(r2.Insights, in)
	}
	open := day1.Open
	open.Alerts["111111111111/ap-east-1/edge-auth/error-rate"] = OpenAlert{Account: "111111111111", Region: "ap-east-1",
		Function: "edge-auth", Kind: "error-rate", Severity: insights.Critical, Priority: "P2", OpenedOn: "2026-11-12", LastSeenOn: "2026-11-19"}
	open.Alerts["111111111111/us-east-1/old-cron/timeouts"] = OpenAlert{Account: "111111111111", Region: "us-east-1",
		Function: "old-cron", Kind: "timeouts", Severity: insights.Warning, Priority: "P3", OpenedOn: "2026-11-18", LastSeenOn: "2026-11-19"}
	day2 := AlertPlan(&r2, open, cov, cfg)
	if day2.New != 0 || day2.Repeated != day1.New-1 || day2.Closing != 2 || len(day2.Kept) != 1 {
		t.Errorf("day 2: new %d repeated %d closing %d kept %v", day2.New, day2.Repeated, day2.Closing, day2.Kept)
	}
	buf.Reset()
	if err := WriteRequests(&buf, JSM, day2); err != nil {
		t.Fatal(err)
	}
	ogGolden(t, "opsgenie-day2.golden.json", buf.Bytes())
	if bytes.Contains(buf.Bytes(), []byte(notifytest.OpsgenieKey)) {
		t.Error("the written requests hold the key")
	}
	// Every body the plans hold passes the contract's checks.
	for _, p := range []Plan{day1, day2} {
		for _, req := range p.Requests {
			b, err := req.Body()
			if err != nil {
				t.Fatal(err)
			}
			if req.Action == AlertCreate {
				var cb CreateAlertBody
				if errs := ogCheckCreate(b, &cb); errs != nil {
					t.Errorf("%s: %v", req.Alias, errs)
				}
			} else if errs := ogCheckClose(b); errs != nil {
				t.Errorf("%s: %v", req.Alias, errs)
			}
		}
	}
}

// ogIns is an insight of a test report.
func ogIns(fn, kind string, sev insights.Severity) insights.Insight {
	acct, region := "111111111111", "us-east-1"
	key := acct + "/" + region + "/" + fn + "/" + kind
	f := fn
	if fn == "*" {
		f = ""
	}
	return insights.Insight{Key: key, Kind: kind, Severity: sev, Account: acct, Region: region, Function: f,
		Title: kind + " of " + fn, Action: "fix it"}
}

func ogOpen(fn, kind string, sev insights.Severity) (string, OpenAlert) {
	in := ogIns(fn, kind, sev)
	return in.Key, OpenAlert{Account: in.Account, Region: in.Region, Function: in.Function, Kind: kind, Severity: sev,
		Priority: DefaultPriorities()[sev], OpenedOn: "2026-11-10", LastSeenOn: "2026-11-19"}
}

func ogOpenSet(entries ...string) OpenAlerts {
	o := NewOpenAlerts()
	for _, e := range entries {
		fn, kind, _ := strings.Cut(e, "/")
		k, v := ogOpen(fn, kind, insights.Warning)
		o.Alerts[k] = v
	}
	return o
}

func ogCov(status map[string]string) ScanCoverage {
	c := ScanCoverage{Functions: map[string]FunctionCoverage{}, FailedTargets: map[string]string{}}
	for fn, st := range status {
		c.Functions["111111111111/us-east-1/"+fn] = FunctionCoverage{ARN: "arn:aws:lambda:us-east-1:111111111111:function:" + fn,
			Status: st, Reason: map[bool]string{true: "metrics: GetMetricData: InternalError"}[st != scanner.StatusScanned]}
	}
	return c
}

const ogK = "111111111111/us-east-1/"

// The auto-close table: what a later report does to the alerts opened
// before.
func TestAlertPlanAutoClose(t *testing.T) {
	scanned := map[string]string{"api": scanner.StatusScanned, "worker": scanner.StatusScanned}
	cases := []struct {
		name   string
		ins    []insights.Insight
		open   OpenAlerts
		cov    ScanCoverage
		mutate func(r *insights.Report)
		cfg    Config
		// want: "create:alias"/"close:alias" in order, kept aliases, the
		// open set's aliases, and a substring of the close note.
		want     []string
		kept     []string
		open2    []string
		note     string
		new, rep int
	}{
		{name: "new insight: created",
			ins: []insights.Insight{ogIns("api", "near-timeout", insights.Warning)}, open: NewOpenAlerts(), cov: ogCov(scanned),
			want: []string{"create:api/near-timeout"}, open2: []string{"api/near-timeout"}, new: 1},
		{name: "still present: sent again and counted by the alias, not a new alert",
			ins: []insights.Insight{ogIns("api", "near-timeout", insights.Warning)}, open: ogOpenSet("api/near-timeout"), cov: ogCov(scanned),
			want: []string{"create:api/near-timeout"}, open2: []string{"api/near-timeout"}, rep: 1},
		{name: "still present, now critical: sent again at P2, recorded as opened at P3",
			ins: []insights.Insight{ogIns("api", "near-timeout", insights.Critical)}, open: ogOpenSet("api/near-timeout"), cov: ogCov(scanned),
			want: []string{"create:api/near-timeout"}, open2: []string{"api/near-timeout"}, rep: 1},
		{name: "gone: closed by alias with a note",
			open: ogOpenSet("api/near-timeout"), cov: ogCov(scanned),
			want: []string{"close:api/near-timeout"}, note: "no longer finds near-timeout of api in 111111111111/us-east-1"},
		{name: "gone because its function failed to scan: kept open",
			open: ogOpenSet("api/near-timeout"), cov: ogCov(map[string]string{"api": scanner.StatusFailed}),
			kept: []string{"api/near-timeout"}, open2: []string{"api/near-timeout"}},
		{name: "gone, function partial and the rule did not run: kept open",
			open: ogOpenSet("api/near-timeout"), cov: ogCov(map[string]string{"api": scanner.StatusPartial}),
			mutate: func(r *insights.Report) {
				r.Missing = []insights.Missing{{Reason: "metrics: GetMetricData: InternalError", Rules: []string{"near-timeout", "error-rate"}, Count: 1, IDs: []string{ogK + "api"}}}
			},
			kept: []string{"api/near-timeout"}, open2: []string{"api/near-timeout"}},
		{name: "gone, function partial but the rule ran (its logs failed): closed",
			open: ogOpenSet("api/near-timeout"), cov: ogCov(map[string]string{"api": scanner.StatusPartial}),
			mutate: func(r *insights.Report) {
				r.Missing = []insights.Missing{{Reason: "logs: over the log budget", Rules: []string{"timeouts", "cold-starts"}, Count: 1, IDs: []string{ogK + "api"}}}
			},
			want: []string{"close:api/near-timeout"}, note: "no longer finds"},
		{name: "gone, function scanned but its logs skipped by the budget (coverage, not failure) and the rule did not run: kept open",
			open: ogOpenSet("api/timeouts"), cov: ogCov(scanned),
			mutate: func(r *insights.Report) {
				r.Missing = []insights.Missing{{Reason: "logs: log budget", Rules: []string{"timeouts", "cold-starts"}, Count: 1, IDs: []string{ogK + "api"}}}
			},
			kept: []string{"api/timeouts"}, open2: []string{"api/timeouts"}},
		{name: "gone, function scanned with no log data in the window: closed",
			open: ogOpenSet("api/timeouts"), cov: ogCov(scanned),
			mutate: func(r *insights.Report) {
				r.Missing = []insights.Missing{{Reason: "logs: no log data in window", Rules: []string{"timeouts"}, Count: 1, IDs: []string{ogK + "api"}}}
			},
			want: []string{"close:api/timeouts"}, note: "no longer finds"},
		{name: "gone, its account-region failed to list: kept open",
			open: ogOpenSet("api/near-timeout"),
			cov:  ScanCoverage{FailedTargets: map[string]string{"111111111111/us-east-1": "AccessDenied"}},
			kept: []string{"api/near-timeout"}, open2: []string{"api/near-timeout"}},
		{name: "gone, no scan coverage given but the report lists the failed target: kept open",
			open: ogOpenSet("api/near-timeout"),
			mutate: func(r *insights.Report) {
				r.Coverage.FailedTargets = []insights.FailedTarget{{Account: "111111111111", Region: "us-east-1", Error: "throttled"}}
			},
			kept: []string{"api/near-timeout"}, open2: []string{"api/near-timeout"}},
		{name: "gone, no scan coverage given but the report says the function was not scanned: kept open",
			open: ogOpenSet("api/near-timeout"),
			mutate: func(r *insights.Report) {
				r.Missing = []insights.Missing{{Reason: "function not scanned: metrics: throttled", Rules: []string{"near-timeout"}, Count: 1, IDs: []string{ogK + "api"}}}
			},
			kept: []string{"api/near-timeout"}, open2: []string{"api/near-timeout"}},
		{name: "gone, function scanned and idle (the rule listed as missing for no invocations): closed",
			open: ogOpenSet("api/near-timeout"), cov: ogCov(scanned),
			mutate: func(r *insights.Report) {
				r.Missing = []insights.Missing{{Reason: "no invocations on the report day", Rules: []string{"near-timeout"}, Count: 1, IDs: []string{ogK + "api"}}}
			},
			want: []string{"close:api/near-timeout"}, note: "no longer finds"},
		{name: "function deleted (not listed any more): closed, saying so",
			open: ogOpenSet("gone-fn/error-rate"), cov: ogCov(scanned),
			want: []string{"close:gone-fn/error-rate"}, note: "gone-fn in 111111111111/us-east-1 no longer exists"},
		{name: "account-region insight gone: closed",
			open: ogOpenSet("*/concurrency-near-limit"), cov: ogCov(scanned),
			want: []string{"close:*/concurrency-near-limit"}, note: "concurrency-near-limit of 111111111111/us-east-1"},
		{name: "account-region insight whose rule could not run: kept open",
			open: ogOpenSet("*/concurrency-near-limit"), cov: ogCov(scanned),
			mutate: func(r *insights.Report) {
				r.Missing = []insights.Missing{{Reason: "account settings (concurrency limit) not read", Rules: []string{"concurrency-near-limit"}, Count: 1, IDs: []string{"111111111111/us-east-1"}}}
			},
			kept: []string{"*/concurrency-near-limit"}, open2: []string{"*/concurrency-near-limit"}},
		{name: "present but now below the threshold: closed, saying why",
			ins:  []insights.Insight{ogIns("api", "near-timeout", insights.Warning)},
			open: ogOpenSet("api/near-timeout"), cov: ogCov(scanned), cfg: Config{MinSeverity: insights.Critical},
			want: []string{"close:api/near-timeout"}, note: "is now warning on 2026-11-20, below the paging threshold (critical)"},
		{name: "info never pages",
			ins: []insights.Insight{ogIns("worker", "arm64-candidate", insights.Info)}, open: NewOpenAlerts(), cov: ogCov(scanned)},
		{name: "creates before closes; one of each, one kept",
			ins:  []insights.Insight{ogIns("worker", "error-rate", insights.Critical), ogIns("api", "throttles", insights.Warning)},
			open: ogOpenSet("api/near-timeout", "api/throttles", "lost/timeouts"),
			cov:  ogCov(map[string]string{"api": scanner.StatusScanned, "worker": scanner.StatusScanned, "lost": scanner.StatusFailed}),
			want: []string{"create:worker/error-rate", "create:api/throttles", "close:api/near-timeout"},
			kept: []string{"lost/timeouts"}, open2: []string{"api/throttles", "lost/timeouts", "worker/error-rate"}, new: 1, rep: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &insights.Report{ReportDay: "2026-11-20", Insights: c.ins}
			if c.mutate != nil {
				c.mutate(r)
			}
			p := AlertPlan(r, c.open, c.cov, c.cfg)
			var got []string
			var note string
			for _, req := range p.Requests {
				got = append(got, string(req.Action)+":"+strings.TrimPrefix(req.Alias, ogK))
				if req.Action == AlertClose {
					note = req.Close.Note
					if req.Close.Source != Source {
						t.Errorf("close source %q", req.Close.Source)
					}
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("requests %v, want %v", got, c.want)
			}
			var kept []string
			for _, k := range p.Kept {
				kept = append(kept, strings.TrimPrefix(k.Alias, ogK))
				if k.Reason == "" {
					t.Errorf("kept %s without a reason", k.Alias)
				}
			}
			if !reflect.DeepEqual(kept, c.kept) {
				t.Errorf("kept %v, want %v", kept, c.kept)
			}
			var open []string
			for a := range p.Open.Alerts {
				open = append(open, strings.TrimPrefix(a, ogK))
			}
			sort.Strings(open)
			if !reflect.DeepEqual(open, c.open2) {
				t.Errorf("open set %v, want %v", open, c.open2)
			}
			if c.note != "" && !strings.Contains(note, c.note) {
				t.Errorf("close note %q, want it to contain %q", note, c.note)
			}
			if p.New != c.new || p.Repeated != c.rep {
				t.Errorf("new %d repeated %d, want %d %d", p.New, p.Repeated, c.new, c.rep)
			}
			// A repeat keeps the day it was opened and the priority it was
			// opened with (Opsgenie's deduplication changes neither).
			for a, v := range p.Open.Alerts {
				if was, ok := c.open.Alerts[a]; ok && (v.OpenedOn != was.OpenedOn || v.Priority != was.Priority) {
					t.Errorf("%s: opened on %s at %s, was %s at %s", a, v.OpenedOn, v.Priority, was.OpenedOn, was.Priority)
				}
			}
		})
	}
}

// Apply: the open set after a send, by each request's outcome.
func TestOpsgeniePlanApply(t *testing.T) {
	fail := errors.New("failed")
	cases := []struct {
		name     string
		action   AlertAction
		wasOpen  bool
		res      AlertResult
		wantOpen bool
	}{
		{"create accepted", AlertCreate, false, AlertResult{Status: 202, Attempts: 1}, true},
		{"create refused (422)", AlertCreate, false, AlertResult{Status: 422, Attempts: 1, Err: fail}, false},
		{"repeat refused: still open from before", AlertCreate, true, AlertResult{Status: 422, Attempts: 1, Err: fail}, true},
		{"create rate limited past its retries: not opened", AlertCreate, false, AlertResult{Status: 429, Attempts: 5, Err: fail}, false},
		{"create 503 past its retries: may be open, recorded", AlertCreate, false, AlertResult{Status: 503, Attempts: 5, Err: fail}, true},
		{"create without an answer: may be open, recorded", AlertCreate, false, AlertResult{Attempts: 5, Err: fail}, true},
		{"create not sent", AlertCreate, false, AlertResult{Err: fail}, false},
		{"close accepted", AlertClose, true, AlertResult{Status: 202, Attempts: 1}, false},
		{"close of an alert Opsgenie does not have (404)", AlertClose, true, AlertResult{Status: 404, Attempts: 1, Err: fail}, false},
		{"close failed (503): closed next run", AlertClose, true, AlertResult{Status: 503, Attempts: 5, Err: fail}, true},
		{"close refused (401): closed next run", AlertClose, true, AlertResult{Status: 401, Attempts: 1, Err: fail}, true},
		{"close not sent", AlertClose, true, AlertResult{Err: fail}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			open := NewOpenAlerts()
			var ins []insights.Insight
			if c.wasOpen {
				open = ogOpenSet("api/near-timeout")
			}
			if c.action == AlertCreate {
				ins = []insights.Insight{ogIns("api", "near-timeout", insights.Warning)}
			}
			p := AlertPlan(&insights.Report{ReportDay: "2026-11-20", Insights: ins}, open, ogCov(map[string]string{"api": scanner.StatusScanned}), Config{})
			if len(p.Requests) != 1 || p.Requests[0].Action != c.action {
				t.Fatalf("plan %+v", p.Requests)
			}
			got := p.Apply([]AlertResult{c.res})
			if _, ok := got.Alerts[ogK+"api/near-timeout"]; ok != c.wantOpen {
				t.Errorf("open after %+v: %t, want %t", c.res, ok, c.wantOpen)
			}
		})
	}
}

// Bodies stay within the API's limits whatever the report holds.
func TestAlertPlanLimits(t *testing.T) {
	long := ogIns(strings.Repeat("f", 64), "memory-overprovisioned", insights.Critical)
	long.Title = strings.Repeat("très long titre ", 20)
	for i := 0; i < 3000; i++ {
		v := float64(i) * 1.5
		long.Evidence = append(long.Evidence, insights.Evidence{Name: fmt.Sprintf("figure%d", i), Value: &v, Unit: insights.UnitMs})
	}
	long.Action = strings.Repeat("do ", 2000)
	tags := []string{"lambdaudit", "critical", "prod"} // two repeat lambdaudit's own
	for i := 0; i < 12; i++ {
		tags = append(tags, fmt.Sprintf("tag-%d", i))
	}
	cfg := Config{Tags: tags}
	p := AlertPlan(&insights.Report{ReportDay: "2026-11-20", Insights: []insights.Insight{long}}, NewOpenAlerts(), ScanCoverage{}, cfg)
	c := p.Requests[0].Create
	if n := utf8.RuneCountInString(c.Message); n != 130 || !strings.HasSuffix(c.Message, "…") {
		t.Errorf("message: %d characters: %q", n, c.Message)
	}
	if n := utf8.RuneCountInString(c.Description); n > 15000 || !strings.HasSuffix(c.Description, "…") {
		t.Errorf("description: %d characters", n)
	}
	size := 0
	for k, v := range c.Details {
		size += utf8.RuneCountInString(k) + utf8.RuneCountInString(v)
	}
	if size > 8000 || c.Details["key"] != long.Key || c.Details["evidence.figure0"] != "0 ms" {
		t.Errorf("details: %d characters, key %q, figure0 %q", size, c.Details["key"], c.Details["evidence.figure0"])
	}
	if len(c.Tags) != 18 || c.Tags[0] != "lambdaudit" { // 5 own + 13 new of the 15 extra
		t.Errorf("tags %d: %v", len(c.Tags), c.Tags)
	}
	if c.Entity != long.Key {
		t.Errorf("entity without an ARN: %q, want the key", c.Entity)
	}
	b, _ := p.Requests[0].Body()
	var cb CreateAlertBody
	if errs := ogCheckCreate(b, &cb); errs != nil {
		t.Errorf("refused by the contract: %v", errs)
	}
	// The path escapes the alias as one segment.
	closeReq := AlertRequest{Action: AlertClose, Alias: ogK + "*/cost-spike", Close: &CloseAlertBody{}}
	if got, want := closeReq.Path(), "/v2/alerts/111111111111%2Fus-east-1%2F%2A%2Fcost-spike/close?identifierType=alias"; got != want {
		t.Errorf("close path %s, want %s", got, want)
	}
	if closeReq.Method() != http.MethodPost {
		t.Error("close is a POST")
	}
}

// BenchmarkAlertPlan plans a large fleet's day: 10,000 insights (a third
// of them info), 4,000 alerts open from before of which half are gone.
func BenchmarkAlertPlan(b *testing.B) {
	sevs := []insights.Severity{insights.Critical, insights.Warning, insights.Info}
	r := &insights.Report{ReportDay: "2026-11-20"}
	cov := ScanCoverage{Functions: map[string]FunctionCoverage{}}
	for i := 0; i < 10000; i++ {
		in := ogIns(fmt.Sprintf("fn-%05d", i), "near-timeout", sevs[i%3])
		v := float64(i)
		in.Evidence = []insights.Evidence{{Name: "maxDurationMs", Value: &v, Unit: insights.UnitMs}}
		r.Insights = append(r.Insights, in)
		cov.Functions[ogK+in.Function] = FunctionCoverage{ARN: "arn:aws:lambda:us-east-1:111111111111:function:" + in.Function, Status: scanner.StatusScanned}
	}
	open := NewOpenAlerts()
	for i := 0; i < 4000; i++ {
		k, v := ogOpen(fmt.Sprintf("fn-%05d", i*5), "near-timeout", insights.Warning)
		open.Alerts[k] = v
	}
	b.ReportAllocs()
	var p Plan
	for b.Loop() {
		p = AlertPlan(r, open, cov, Config{})
	}
	b.ReportMetric(float64(len(p.Requests)), "requests")
}
