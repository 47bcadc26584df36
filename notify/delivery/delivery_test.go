package delivery

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
	"github.com/lambdaudit/lambdaudit/notify/opsgenie"
	"github.com/lambdaudit/lambdaudit/store"
)

// A file that cannot be written fails Deliver with an error naming its
// path once (atomicfile's error already names it), and nothing is sent.
func TestDeliverWriteErrorNamesPathOnce(t *testing.T) {
	res, r := notifytest.OpsgenieFixture(t)
	out := t.TempDir()
	// A directory where report.json goes: the rename over it fails.
	blocked := filepath.Join(out, "report.json")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := Deliver(context.Background(), Channels{Out: out, Opsgenie: opsgenie.Config{DryRun: true}, Store: store.NewMemory()}, res, nil, r)
	if err == nil {
		t.Fatalf("Deliver wrote over a directory: %+v", d)
	}
	if n := strings.Count(err.Error(), blocked); n != 1 {
		t.Errorf("the error names %s %d times, want once: %v", blocked, n, err)
	}
}

// Deliver without a store is refused before anything is written: the open
// set would otherwise be lost between runs.
func TestDeliverNeedsStore(t *testing.T) {
	res, r := notifytest.OpsgenieFixture(t)
	out := t.TempDir()
	d, err := Deliver(context.Background(), Channels{Out: out, Opsgenie: opsgenie.Config{DryRun: true}}, res, nil, r)
	if err == nil || !strings.Contains(err.Error(), "no state store") {
		t.Fatalf("Deliver without a store: %+v, %v", d, err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("wrote %v before refusing", ents)
	}
}
