package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// TestNotifyRegionWithoutPrice is issue 9's first bullet end to end: a
// fleet in us-east-1, eu-west-2 (London, missing from the old 7-region
// table) and a region no price table has yet (xx-future-1). scan then
// notify exits 0 and writes every output; London is priced; the unknown
// region's functions have empty cost cells, its summary row empty costs,
// and the report's missing list names the region.
func TestNotifyRegionWithoutPrice(t *testing.T) {
	// Slack and Opsgenie stand-ins: every channel must deliver.
	var slackPosts, ogRequests atomic.Int32
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slackPosts.Add(1)
		io.WriteString(w, "ok")
	}))
	defer slack.Close()
	og := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ogRequests.Add(1)
		if r.Header.Get("Authorization") != "GenieKey test-key" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"result":"Request will be processed","took":0.01,"requestId":"r"}`)
	}))
	defer og.Close()
	t.Setenv("SLACK_WEBHOOK_URL", slack.URL+"/services/T/B/x")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_CHANNEL", "")
	t.Setenv("OPSGENIE_API_KEY", "test-key")
	t.Setenv("OPSGENIE_URL", og.URL)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no refreshed price table
	t.Setenv("HOME", t.TempDir())
	env := simtest.Start(t, "seed: 9\ngenerate:\n  functions: 30\n  regions: [us-east-1, eu-west-2, xx-future-1]\n  mix: {error-rate: 0.2, cost-spike: 0.1}\n")
	simEnv(t, env)
	dir := t.TempDir()
	scan := filepath.Join(dir, "scan.json")
	if _, stderr, code := runCLI(t, "scan", "--day", reportDay, "--regions", "us-east-1,eu-west-2,xx-future-1", "-o", scan, "--progress", "never"); code != 0 {
		t.Fatalf("scan exit %d: %s", code, stderr)
	}
	out := filepath.Join(dir, "out")
	_, stderr, code := runCLI(t, "notify", "--scan", scan, "-o", out)
	if code != 0 {
		t.Fatalf("notify exit %d, want 0: %s", code, stderr)
	}
	for _, name := range []string{"scan.json", "report.json", "report.csv", "summary.csv", "slack.json", "opsgenie.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	var plan struct {
		Requests []json.RawMessage `json:"requests"`
	}
	if b, err := os.ReadFile(filepath.Join(out, "opsgenie.json")); err != nil || json.Unmarshal(b, &plan) != nil {
		t.Fatalf("opsgenie.json: %v", err)
	}
	t.Logf("%d Slack posts, %d Opsgenie requests", slackPosts.Load(), ogRequests.Load())
	if slackPosts.Load() == 0 || len(plan.Requests) == 0 || int(ogRequests.Load()) != len(plan.Requests) {
		t.Errorf("%d Slack posts, %d of %d Opsgenie requests sent: a channel did not deliver", slackPosts.Load(), ogRequests.Load(), len(plan.Requests))
	}

	rows := readCSV(t, filepath.Join(out, "summary.csv"))
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r["region"]] = true
		priced := r["report_day_cost_usd"] != "" && r["month_to_date_usd"] != ""
		if want := r["region"] != "xx-future-1"; priced != want {
			t.Errorf("summary %s: priced %v, want %v: %v", r["region"], priced, want, r)
		}
	}
	if len(seen) != 3 {
		t.Errorf("summary regions %v, want all 3", seen)
	}
	for _, r := range readCSV(t, filepath.Join(out, "report.csv")) {
		if r["region"] == "xx-future-1" && (r["report_day_cost_usd"] != "" || r["gb_seconds"] != "") {
			t.Errorf("%s has cost cells without a price: %v", r["function"], r)
		}
		if r["region"] == "eu-west-2" && r["invocations"] != "" && r["invocations"] != "0" && r["report_day_cost_usd"] == "" {
			t.Errorf("London's %s has no cost: %v", r["function"], r)
		}
	}

	rep := readReportFile(t, filepath.Join(out, "report.json"))
	named := false
	for _, m := range rep.Missing {
		if strings.Contains(m.Reason, "no price for xx-future-1") {
			named = true
		}
		if strings.Contains(m.Reason, "eu-west-2") && strings.Contains(m.Reason, "no price") {
			t.Errorf("London is missing a price: %s", m.Reason)
		}
	}
	if !named {
		t.Errorf("the missing list does not name xx-future-1: %+v", rep.Missing)
	}
}
