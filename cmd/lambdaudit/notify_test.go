package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// A scan result produced from the simulated account (insights' fixture).
const fixtureScan = "../../insights/testdata/scan.json"

func TestNotifyCommand(t *testing.T) {
	t.Setenv("SLACK_WEBHOOK_URL", "")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_CHANNEL", "")
	t.Setenv("OPSGENIE_API_KEY", "")

	t.Run("writes every output, alerts as a dry run", func(t *testing.T) {
		out := t.TempDir()
		_, stderr, code := runCLI(t, "notify", "--scan", fixtureScan, "-o", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, name := range []string{"scan.json", "report.json", "report.csv", "summary.csv", "slack.json", "opsgenie.json"} {
			if _, err := os.Stat(filepath.Join(out, name)); err != nil {
				t.Error(err)
			}
		}
	})

	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bot token without channel", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, nil, "SLACK_CHANNEL"},
		{"webhook not https", map[string]string{"SLACK_WEBHOOK_URL": "http://hooks.example.com/services/x"}, nil, "SLACK_WEBHOOK_URL"},
		{"unknown Opsgenie region", map[string]string{"OPSGENIE_REGION": "mars"}, nil, "OPSGENIE_REGION"},
		{"bad S3 location", nil, []string{"--s3", "https://bucket"}, "--s3"},
		{"unknown scan version", nil, []string{"--scan", "testdata/future-scan.json"}, "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"notify", "--scan", fixtureScan, "-o", out}, tt.args...)
			_, stderr, code := runCLI(t, args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want 2 naming %q: %s", code, tt.want, stderr)
			}
			if _, err := os.Stat(filepath.Join(out, "report.json")); err == nil {
				t.Errorf("bad settings, but outputs were written")
			}
		})
	}
}

// TestNotifyS3 uploads the reports to S3 (moto_server) and fetches the
// CSV through the presigned link the digest carries.
func TestNotifyS3(t *testing.T) {
	moto := simtest.Moto(t)
	t.Setenv("AWS_ENDPOINT_URL", moto)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("SLACK_WEBHOOK_URL", "")
	t.Setenv("OPSGENIE_API_KEY", "")
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("reports")}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	_, stderr, code := runCLI(t, "notify", "--scan", fixtureScan, "-o", out, "--s3", "s3://reports/lambdaudit")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	payload, err := os.ReadFile(filepath.Join(out, "slack.json"))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(payload), moto+"/reports/lambdaudit/")
	if i < 0 {
		t.Fatalf("the digest does not link the CSV in S3: %s", stderr)
	}
	link := string(payload[i:])
	link = link[:strings.IndexAny(link, "|\">")]
	link = strings.ReplaceAll(link, "&amp;", "&")
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	want, _ := os.ReadFile(filepath.Join(out, "report.csv"))
	if resp.StatusCode != 200 || string(got) != string(want) {
		t.Errorf("presigned link: HTTP %d, %d bytes; want the %d-byte CSV", resp.StatusCode, len(got), len(want))
	}
}

// TestNotifyFailureToldOnce: a failed Slack post and a failed Opsgenie
// request each show once on stderr — in the exit error — not also as log
// lines from the sender and from delivery.Deliver.
func TestNotifyFailureToldOnce(t *testing.T) {
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
	}))
	t.Cleanup(slack.Close)
	var ogRequests atomic.Int64
	og := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ogRequests.Add(1)
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"message":"unprocessable alert","took":0.01,"requestId":"r-1"}`)
	}))
	t.Cleanup(og.Close)
	t.Setenv("SLACK_WEBHOOK_URL", slack.URL+"/services/T000/B000/XXXX")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_CHANNEL", "")
	t.Setenv("OPSGENIE_API_KEY", "a-test-key")
	t.Setenv("OPSGENIE_URL", og.URL)
	t.Setenv("OPSGENIE_MAX_NEW_ALERTS", "1")

	for _, level := range []string{"warn", "info"} {
		t.Run("log level "+level, func(t *testing.T) {
			ogRequests.Store(0)
			out := t.TempDir()
			_, stderr, code := runCLI(t, "notify", "--scan", fixtureScan, "-o", out, "--log-level", level)
			if code != exitDeliveryFailed {
				t.Fatalf("exit %d, want %d: %s", code, exitDeliveryFailed, stderr)
			}
			// One line per failed request: the Slack post, and each
			// Opsgenie request refused (the alert and the cap's summary).
			for cause, want := range map[string]int{"invalid_payload": 1, "unprocessable alert": int(ogRequests.Load())} {
				if n := strings.Count(stderr, cause); n != want || want == 0 {
					t.Errorf("%q appears %d times on stderr, want %d:\n%s", cause, n, want, stderr)
				}
			}
			if strings.Contains(stderr, "opsgenie: opsgenie") {
				t.Errorf("the Opsgenie failure is prefixed twice:\n%s", stderr)
			}
		})
	}
}
