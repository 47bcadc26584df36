package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// TestNotifySilentOpsgenie: an Opsgenie endpoint that accepts connections
// and never answers fails notify within --delivery-timeout instead of
// stalling it for each alert in turn: one request attempted, the rest not
// sent, the error naming the URL once, exit 4 with the files written.
func TestNotifySilentOpsgenie(t *testing.T) {
	url, accepted := simtest.SilentEndpointCounting(t)
	t.Setenv("SLACK_WEBHOOK_URL", "")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_CHANNEL", "")
	t.Setenv("OPSGENIE_API_KEY", "og-test-key-123456")
	t.Setenv("OPSGENIE_URL", url)

	out := t.TempDir()
	start := time.Now()
	_, stderr, code := runCLI(t, "notify", "--scan", fixtureScan, "-o", out, "--delivery-timeout", "500ms")
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("took %v with --delivery-timeout 500ms", el)
	}
	if code != exitDeliveryFailed {
		t.Fatalf("exit %d, want %d: %s", code, exitDeliveryFailed, stderr)
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("%d connections to Opsgenie, want 1 (one request attempted)", n)
	}
	for _, want := range []string{"1 delivery failed", "opsgenie at " + url + ": no answer within 500ms", "requests not sent"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if n := strings.Count(stderr, "no answer"); n != 1 {
		t.Errorf("told %d times, want once:\n%s", n, stderr)
	}
	if strings.Contains(stderr, "og-test-key-123456") {
		t.Error("the key is on stderr")
	}
	for _, name := range []string{"scan.json", "report.json", "report.csv", "summary.csv", "slack.json", "opsgenie.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
}
