package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// oldState is an --out/state directory written before notify moved onto
// package store: `lambdaudit demo -o DIR` at 1087ec7 with Opsgenie
// enabled (OPSGENIE_API_KEY, OPSGENIE_URL at a stand-in accepting every
// request), DIR/state copied as is. Its report day is 2026-12-06; it
// holds 21 open alerts of the demo fleet.
const oldState = "testdata/state-before-store"

// An --out/state directory written by earlier releases keeps working:
// notify finds the open set at the same path, refuses an older report on
// its report day, and with --force closes the alerts it lists and writes
// the new set where the old one was.
func TestNotifyReadsOldStateDir(t *testing.T) {
	old, err := os.ReadFile(filepath.Join(oldState, "opsgenie", "open-alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var oldDoc struct {
		ReportDay string                     `json:"reportDay"`
		Alerts    map[string]json.RawMessage `json:"alerts"`
	}
	if err := json.Unmarshal(old, &oldDoc); err != nil {
		t.Fatal(err)
	}
	var oldAliases []string
	for a := range oldDoc.Alerts {
		oldAliases = append(oldAliases, a)
	}
	slices.Sort(oldAliases)
	if oldDoc.ReportDay != "2026-12-06" || len(oldAliases) != 21 {
		t.Fatalf("testdata: report day %q, %d alerts; want 2026-12-06 and 21", oldDoc.ReportDay, len(oldAliases))
	}

	var mu sync.Mutex
	var closed []string
	creates := 0
	og := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		p := r.URL.EscapedPath()
		switch {
		case r.Method == http.MethodPost && p == "/v2/alerts":
			creates++
		case r.Method == http.MethodPost && strings.HasPrefix(p, "/v2/alerts/") && strings.HasSuffix(p, "/close"):
			alias, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(p, "/v2/alerts/"), "/close"))
			if err != nil {
				t.Errorf("close path %q: %v", p, err)
			}
			closed = append(closed, alias)
		default:
			t.Errorf("unexpected request %s %s", r.Method, p)
		}
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"result":"Request will be processed","took":0.01,"requestId":"r-1"}`)
	}))
	t.Cleanup(og.Close)
	t.Setenv("SLACK_WEBHOOK_URL", "")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_CHANNEL", "")
	t.Setenv("OPSGENIE_API_KEY", "a-test-key")
	t.Setenv("OPSGENIE_URL", og.URL)

	out := t.TempDir()
	if err := os.CopyFS(filepath.Join(out, "state"), os.DirFS(oldState)); err != nil {
		t.Fatal(err)
	}
	stateFile := filepath.Join(out, "state", "opsgenie", "open-alerts.json")

	// The fixture's report day, 2026-11-20, is older than the stored one:
	// refused, nothing sent, the set untouched.
	_, stderr, code := runCLI(t, "notify", "--scan", fixtureScan, "-o", out)
	if code != exitDeliveryFailed || !strings.Contains(stderr, "is older than 2026-12-06") {
		t.Fatalf("exit %d, want %d refusing the older report on the stored day: %s", code, exitDeliveryFailed, stderr)
	}
	if b, _ := os.ReadFile(stateFile); !bytes.Equal(b, old) {
		t.Errorf("a refused run changed the stored set")
	}
	if creates+len(closed) != 0 {
		t.Errorf("a refused run sent %d creates and %d closes", creates, len(closed))
	}

	// Forced: every alert the old set lists is closed (none of them is in
	// the fixture's report), and the new set replaces it in place.
	_, stderr, code = runCLI(t, "notify", "--scan", fixtureScan, "-o", out, "--force")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	slices.Sort(closed)
	if !slices.Equal(closed, oldAliases) {
		t.Errorf("closed %q,\nwant the old set's %q", closed, oldAliases)
	}
	if creates == 0 {
		t.Error("no alert opened for the fixture's report")
	}
	var newDoc struct {
		Schema    string                     `json:"schema"`
		ReportDay string                     `json:"reportDay"`
		Alerts    map[string]json.RawMessage `json:"alerts"`
	}
	b, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &newDoc); err != nil {
		t.Fatal(err)
	}
	if newDoc.Schema != "lambdaudit/opsgenie-open-alerts" || newDoc.ReportDay != "2026-11-20" || len(newDoc.Alerts) != creates {
		t.Errorf("new set: schema %q, day %q, %d alerts; want the fixture's day and its %d created alerts", newDoc.Schema, newDoc.ReportDay, len(newDoc.Alerts), creates)
	}
	for _, a := range oldAliases {
		if _, ok := newDoc.Alerts[a]; ok {
			t.Errorf("closed alert %s still in the stored set", a)
		}
	}
	// Nothing else appeared under state/: the layout is the old one.
	var files []string
	filepath.WalkDir(filepath.Join(out, "state"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if want := []string{"state/opsgenie/open-alerts.json"}; !slices.Equal(files, want) {
		t.Errorf("files under state: %q, want %q", files, want)
	}
}
