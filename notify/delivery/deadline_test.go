package delivery

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
	"github.com/lambdaudit/lambdaudit/notify/opsgenie"
	"github.com/lambdaudit/lambdaudit/notify/slack"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
	"github.com/lambdaudit/lambdaudit/store"
)

// Deliver bounds each channel with Channels.Timeout: a Slack webhook and
// an Opsgenie endpoint that never answer fail within it (the attempts'
// own 10 s timeout is cut short), each error naming the endpoint (the
// webhook without its secret path), and the files are written.
func TestDeliverDeadline(t *testing.T) {
	ogURL, ogConns := simtest.SilentEndpointCounting(t)
	slackURL, _ := simtest.SilentEndpointCounting(t)
	res, r := notifytest.OpsgenieFixture(t)
	out := t.TempDir()
	ch := Channels{Out: out, Timeout: 300 * time.Millisecond, Store: store.NewMemory(),
		Slack:    slack.Config{WebhookURL: slackURL + "/services/T0/B0/secretpath"},
		Opsgenie: opsgenie.Config{APIKey: notifytest.OpsgenieKey, BaseURL: ogURL}}
	start := time.Now()
	d, err := Deliver(context.Background(), ch, res, nil, r)
	el := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if el > 2*time.Second {
		t.Errorf("took %v with a 300ms deadline per channel", el)
	}
	if len(d.Errors) != 2 || len(d.Sent) != 0 {
		t.Fatalf("errors %v, sent %v: want both channels failed", d.Errors, d.Sent)
	}
	slackErr, ogErr := d.Errors[0].Error(), d.Errors[1].Error()
	if !strings.Contains(slackErr, "slack at "+slackURL+": no answer within 300ms") || strings.Contains(slackErr, "secretpath") {
		t.Errorf("slack error %q: want the endpoint named without its path", slackErr)
	}
	if !strings.Contains(ogErr, "opsgenie at "+ogURL+": no answer within") || !strings.Contains(ogErr, "requests not sent") {
		t.Errorf("opsgenie error %q: want the endpoint named and the requests not sent", ogErr)
	}
	if n := ogConns.Load(); n != 1 {
		t.Errorf("opsgenie: %d connections, want 1 (one request attempted)", n)
	}
	for _, f := range []string{"scan.json", "report.csv", "slack.json", "opsgenie.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}
