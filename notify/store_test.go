package notify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ogStoreContract checks what every Store does.
func ogStoreContract(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Get(ctx, "opsgenie/open-alerts.json"); !errors.Is(err, ErrNotStored) {
		t.Fatalf("Get of nothing: %v, want ErrNotStored", err)
	}
	if err := s.Put(ctx, "opsgenie/open-alerts.json", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "opsgenie/open-alerts.json", []byte(`{"a":2}`)); err != nil {
		t.Fatal(err)
	}
	b, err := s.Get(ctx, "opsgenie/open-alerts.json")
	if err != nil || string(b) != `{"a":2}` {
		t.Fatalf("Get: %q, %v; want the last Put", b, err)
	}
	if err := s.Put(ctx, "empty", nil); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Get(ctx, "empty"); err != nil || len(b) != 0 {
		t.Errorf("empty document: %q, %v", b, err)
	}
	for _, key := range []string{"", "/abs", "a/../b", "./a", "a//b", "a/", `a\b`, ".."} {
		if err := s.Put(ctx, key, []byte("x")); err == nil || !strings.Contains(err.Error(), "results store") {
			t.Errorf("Put(%q): %v, want refused", key, err)
		}
		if _, err := s.Get(ctx, key); err == nil || errors.Is(err, ErrNotStored) {
			t.Errorf("Get(%q): %v, want refused", key, err)
		}
	}
}

func TestDirStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, err := NewDirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	ogStoreContract(t, s)
	// The writes left no temporary files behind.
	ents, err := os.ReadDir(filepath.Join(dir, "opsgenie"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "open-alerts.json" {
		t.Errorf("files: %v", ents)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Put(ctx, "x", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with an ended ctx: %v", err)
	}
	if _, err := NewDirStore(""); err == nil {
		t.Error("NewDirStore(\"\") accepted")
	}
}

// An unreadable store is an error, not an empty set.
func TestLoadOpenAlertsErrors(t *testing.T) {
	ctx := context.Background()
	s, err := NewDirStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, doc, want string }{
		{"another schema", `{"schema":"x","version":1,"alerts":{}}`, `schema "x" version 1`},
		{"a later version", `{"schema":"lambdaudit/opsgenie-open-alerts","version":2,"alerts":{}}`, "version 2"},
		{"not JSON", `[`, "remove it to start afresh"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := s.Put(ctx, OpenAlertsKey, []byte(c.doc)); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadOpenAlerts(ctx, s, OpenAlertsKey); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
	// Saved and loaded back.
	o := ogOpenSet("api/near-timeout")
	o.ReportDay = "2026-11-20"
	if err := SaveOpenAlerts(ctx, s, OpenAlertsKey, o); err != nil {
		t.Fatal(err)
	}
	back, err := LoadOpenAlerts(ctx, s, OpenAlertsKey)
	if err != nil || back.ReportDay != o.ReportDay || back.Alerts[ogK+"api/near-timeout"] != o.Alerts[ogK+"api/near-timeout"] {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}
