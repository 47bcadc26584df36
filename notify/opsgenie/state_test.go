package opsgenie

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
	"github.com/lambdaudit/lambdaudit/store"
)

// The open-alert set kept in a store.Store: what it reads on the first
// run, what it refuses, and that it survives a restart in a directory and
// in S3. The stores themselves are tested in package store.

// No stored set is the first run: an empty set, no error.
func TestLoadOpenAlertsFirstRun(t *testing.T) {
	for name, st := range map[string]StateStore{"memory": store.NewMemory(), "dir": ogStateDir(t)} {
		t.Run(name, func(t *testing.T) {
			o, err := LoadOpenAlerts(context.Background(), st, OpenAlertsKey)
			if err != nil || o.ReportDay != "" || o.Alerts == nil || len(o.Alerts) != 0 {
				t.Errorf("first run: %+v, %v; want an empty set", o, err)
			}
		})
	}
}

// A stored set that cannot be read is an error naming what to do, never
// an empty set; one saved is loaded back.
func TestLoadOpenAlertsErrors(t *testing.T) {
	ctx := context.Background()
	s := ogStateDir(t)
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
			_, err := LoadOpenAlerts(ctx, s, OpenAlertsKey)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), OpenAlertsKey) {
				t.Errorf("got %v, want an error naming %s and saying %q", err, OpenAlertsKey, c.want)
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

// A store that cannot be read (a bucket that is not there) is an error,
// not a first run: treating it as one would open every alert again and
// close none.
func TestLoadOpenAlertsUnreadableStore(t *testing.T) {
	client, bucket := simtest.MotoS3(t)
	gone, err := store.NewS3(client, bucket+"-missing", "state")
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadOpenAlerts(context.Background(), gone, OpenAlertsKey)
	if err == nil || errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "opsgenie open alerts") {
		t.Errorf("missing bucket: %v, want an error that is not ErrNotFound", err)
	}
}

func TestOpsgenieRunSurvivesRestartDir(t *testing.T) {
	dir := t.TempDir()
	ogRestartTest(t, func() StateStore {
		s, err := store.NewDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// The open set in S3 survives a restart (Lambda mode), kept as JSON under
// the store's prefix (slashes at its ends ignored).
func TestOpsgenieRunSurvivesRestartS3(t *testing.T) {
	client, bucket := simtest.MotoS3(t)
	ogRestartTest(t, func() StateStore {
		s, err := store.NewS3(client, bucket, "/team-a/lambdaudit/")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	out, err := client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket),
		Key: aws.String("team-a/lambdaudit/" + OpenAlertsKey)})
	if err != nil {
		t.Fatalf("the open set is not under the prefix: %v", err)
	}
	if ct := aws.ToString(out.ContentType); ct != "application/json" {
		t.Errorf("content type %q, want application/json", ct)
	}
}

func ogStateDir(t *testing.T) *store.Dir {
	t.Helper()
	s, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}
