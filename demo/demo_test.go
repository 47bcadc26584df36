package demo_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lambdaudit/lambdaudit/demo"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/opsgenie"
	"github.com/lambdaudit/lambdaudit/notify/slack"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
)

// TestDemo runs the demo end to end on the embedded fleet and checks its
// outputs: every listed function scanned, every insight kind of
// INSIGHTS.md found, and the files written and readable.
func TestDemo(t *testing.T) {
	out := t.TempDir()
	res, err := demo.Run(context.Background(), demo.Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Functions < 1000 || res.Accounts < 2 || res.Regions < 2 {
		t.Errorf("demo fleet: %d functions, %d accounts, %d regions; want ≥ 1000, 2, 2", res.Functions, res.Accounts, res.Regions)
	}
	cv := res.Scan.Coverage
	if cv.Listed != res.Functions || cv.Scanned != res.Functions || cv.TargetsFailed != 0 {
		t.Errorf("coverage %+v: want all %d scanned", cv, res.Functions)
	}
	for _, k := range insights.Kinds {
		if res.Report.Counts.ByKind[k] == 0 {
			t.Errorf("no %s insight in the demo", k)
		}
	}
	if len(res.Report.Missing) != 0 {
		t.Errorf("rules without data in the demo: %+v", res.Report.Missing)
	}
	f, err := os.Open(filepath.Join(out, "scan.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := scanner.Decode(f); err != nil {
		t.Error(err)
	}
	var slackJSON struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.NewDecoder(mustOpen(t, filepath.Join(out, "slack.json"))).Decode(&slackJSON); err != nil || slackJSON.Text == "" || len(slackJSON.Blocks) == 0 || len(slackJSON.Blocks) > 50 {
		t.Errorf("slack.json: %v, %d blocks", err, len(slackJSON.Blocks))
	}
	var og struct {
		Requests []struct {
			Action string `json:"action"`
			Method string `json:"method"`
		} `json:"requests"`
	}
	if err := json.NewDecoder(mustOpen(t, filepath.Join(out, "opsgenie.json"))).Decode(&og); err != nil || len(og.Requests) != cappedAlerts(res.Report.Counts.Critical+res.Report.Counts.Warning) {
		t.Errorf("opsgenie.json: %v, %d requests for %d critical and warning insights (at most %d new alerts and a summary)", err, len(og.Requests),
			res.Report.Counts.Critical+res.Report.Counts.Warning, opsgenie.DefaultMaxNewAlerts)
	}
	rows, err := csv.NewReader(mustOpen(t, filepath.Join(out, "report.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != res.Functions+1 {
		t.Errorf("report.csv: %d rows, want a header and %d functions", len(rows), res.Functions)
	}
	g, err := os.Open(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := insights.DecodeReport(g); err != nil {
		t.Error(err)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestDemoSends gives the demo a Slack webhook and an Opsgenie key that
// point at local servers: the digest is posted, one alert per insight at
// warning or above is created with the GenieKey header, and the files are
// written all the same. A failing Slack does not stop Opsgenie.
func TestDemoSends(t *testing.T) {
	var slackPosts, alerts atomic.Int64
	var slackFail atomic.Bool
	slackSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Text   string            `json:"text"`
			Blocks []json.RawMessage `json:"blocks"`
		}
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&body) != nil || body.Text == "" || len(body.Blocks) == 0 || len(body.Blocks) > 50 {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		if slackFail.Load() {
			http.Error(w, "no_service", http.StatusNotFound)
			return
		}
		slackPosts.Add(1)
		io.WriteString(w, "ok")
	}))
	defer slackSrv.Close()
	const key = "00000000-0000-4000-8000-00000000abcd"
	ogSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "GenieKey "+key || r.Method != http.MethodPost || r.URL.Path != "/v2/alerts" {
			http.Error(w, `{"message":"bad request"}`, http.StatusUnprocessableEntity)
			return
		}
		var body struct {
			Message, Alias, Priority string
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil || body.Message == "" || utf8.RuneCountInString(body.Message) > 130 || body.Alias == "" {
			http.Error(w, `{"message":"bad alert"}`, http.StatusUnprocessableEntity)
			return
		}
		alerts.Add(1)
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"result":"Request will be processed","took":0.01,"requestId":"r-1"}`)
	}))
	defer ogSrv.Close()

	for _, tc := range []struct {
		name      string
		slackDown bool
	}{{"both delivered", false}, {"slack down, opsgenie still sent", true}} {
		t.Run(tc.name, func(t *testing.T) {
			slackPosts.Store(0)
			alerts.Store(0)
			slackFail.Store(tc.slackDown)
			out := t.TempDir()
			res, err := demo.Run(context.Background(), demo.Options{Out: out,
				Slack:    &slack.Config{WebhookURL: slackSrv.URL + "/services/T000/B000/XXXX"},
				Opsgenie: &opsgenie.Config{APIKey: key, BaseURL: ogSrv.URL}})
			if err != nil {
				t.Fatal(err)
			}
			wantAlerts := int64(cappedAlerts(res.Report.Counts.Critical + res.Report.Counts.Warning))
			if got := alerts.Load(); got != wantAlerts {
				t.Errorf("%d alerts created, want %d (critical + warning, at most %d and a summary)", got, wantAlerts, opsgenie.DefaultMaxNewAlerts)
			}
			// The terminal digest says what the cap left without an alert,
			// as Slack's does.
			var digest strings.Builder
			if err := demo.WriteDigest(&digest, res, false); err != nil {
				t.Fatal(err)
			}
			if capped := res.Report.Counts.Critical + res.Report.Counts.Warning - opsgenie.DefaultMaxNewAlerts; capped > 0 &&
				(res.AlertsCapped != capped || !strings.Contains(digest.String(), "opened no alert")) {
				t.Errorf("%d insights capped (want %d), and the digest does not say so", res.AlertsCapped, capped)
			}
			if tc.slackDown {
				if len(res.DeliveryErrors) != 1 || strings.Contains(res.DeliveryErrors[0].Error(), "XXXX") {
					t.Errorf("delivery errors %v: want Slack's, without the webhook URL", res.DeliveryErrors)
				}
			} else if slackPosts.Load() != 1 || len(res.DeliveryErrors) != 0 {
				t.Errorf("slack posts %d, errors %v", slackPosts.Load(), res.DeliveryErrors)
			}
			for _, name := range []string{"report.json", "report.csv", "slack.json", "opsgenie.json"} {
				b, err := os.ReadFile(filepath.Join(out, name))
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(b), key) || strings.Contains(string(b), "XXXX") {
					t.Errorf("%s holds a secret", name)
				}
			}
		})
	}
}

// cappedAlerts is how many creates a first run sends for n paging
// insights: at most the default cap, and one summary alert past it.
func cappedAlerts(n int) int {
	if n > opsgenie.DefaultMaxNewAlerts {
		return opsgenie.DefaultMaxNewAlerts + 1
	}
	return n
}

// TestDemoInterrupted: an interrupted demo writes what it has — the
// partial scan.json, marked interrupted — or nothing, and never leaves
// an empty directory.
func TestDemoInterrupted(t *testing.T) {
	slowMetrics := &sim.Latency{PerAPI: map[string]time.Duration{"GetMetricData": 30 * time.Second}}
	slowListing := &sim.Latency{PerAPI: map[string]time.Duration{"ListFunctions": 30 * time.Second}}
	tests := []struct {
		name    string
		timeout time.Duration
		latency *sim.Latency
		// written: scan.json is written (something was listed).
		written bool
	}{
		{"before the scan", 0, nil, false},
		{"during the listing", 1500 * time.Millisecond, slowListing, false},
		{"during the metrics", 1500 * time.Millisecond, slowMetrics, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "demo-out")
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			start := time.Now()
			res, err := demo.Run(ctx, demo.Options{Out: out, Latency: tt.latency})
			if el := time.Since(start); el > 20*time.Second {
				t.Errorf("took %v to stop", el)
			}
			if err == nil || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want the context's deadline", err)
			}
			ents, statErr := os.ReadDir(out)
			switch {
			case os.IsNotExist(statErr):
				if res != nil && len(res.Files) > 0 {
					t.Errorf("Files %v but no directory", res.Files)
				}
				if tt.written {
					t.Error("nothing written, though functions were listed")
				}
				return // nothing written
			case !tt.written:
				t.Fatalf("wrote %d entries (%v) though no function was listed", len(ents), ents)
			case statErr != nil:
				t.Fatal(statErr)
			case len(ents) == 0:
				t.Fatal("an empty output directory was left behind")
			}
			for _, e := range ents {
				if e.Name() != "scan.json" {
					t.Errorf("interrupted demo wrote %s; want only scan.json", e.Name())
				}
			}
			sc, err := scanner.Decode(mustOpen(t, filepath.Join(out, "scan.json")))
			if err != nil {
				t.Fatal(err)
			}
			if sc.Interrupted != scanner.InterruptTimeout {
				t.Errorf("interrupted = %q, want %q", sc.Interrupted, scanner.InterruptTimeout)
			}
		})
	}
}
