// Package simtest owns starting the simulated account and its independent
// peers (moto_server, the aws CLI) for tests: one call gives a running
// endpoint and an aws.Config of the real SDK pointed at it.
package simtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// Now is the fixed simulated time tests use unless they choose another.
var Now = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)

// Env is a running simulated account.
type Env struct {
	URL    string
	Server *sim.Server
	Fleet  *fleet.Fleet
	// Config is an SDK config with the simulator's credentials, region
	// us-east-1 (change per client with options) and BaseEndpoint = URL.
	Config aws.Config
}

// Start builds the fleet from a YAML spec at Now, serves it on loopback
// and stops it when the test ends. Options default to zero latency, so
// tests are fast; pass sim.WithLatency to model AWS.
func Start(t testing.TB, specYAML string, opts ...sim.Option) *Env {
	t.Helper()
	spec, err := fleet.Parse([]byte(specYAML))
	if err != nil {
		t.Fatalf("simtest: spec: %v", err)
	}
	f, err := fleet.Build(spec, Now)
	if err != nil {
		t.Fatalf("simtest: build: %v", err)
	}
	return StartFleet(t, f, opts...)
}

// StartFleet serves a built fleet.
func StartFleet(t testing.TB, f *fleet.Fleet, opts ...sim.Option) *Env {
	t.Helper()
	all := append([]sim.Option{sim.WithClock(func() time.Time { return Now }), sim.WithLatency(sim.Latency{})}, opts...)
	srv, err := sim.New(f, all...)
	if err != nil {
		t.Fatalf("simtest: %v", err)
	}
	run, err := srv.Start("")
	if err != nil {
		t.Fatalf("simtest: %v", err)
	}
	t.Cleanup(func() { run.Close() })
	return &Env{URL: run.URL, Server: srv, Fleet: f, Config: SDKConfig(t, run.URL, "us-east-1")}
}

// SDKConfig is an SDK config for an endpoint with the simulator's
// credentials and the SDK's default retryer.
func SDKConfig(t testing.TB, url, region string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(sim.AccessKeyID, sim.SecretAccessKey, "")),
		config.WithBaseEndpoint(url),
		config.WithSharedConfigProfile(""),
	)
	if err != nil {
		t.Fatalf("simtest: sdk config: %v", err)
	}
	return cfg
}

// missing skips a test outside CI when a peer tool is not installed, and
// fails it in CI, where .ci/run installs everything.
func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("simtest: %s is required in CI but was not found", what)
	}
	t.Skipf("simtest: %s not found; skipping (CI installs it)", what)
}

// AWSCLI returns the path of the aws CLI, skipping the test (failing in
// CI) when it is missing.
func AWSCLI(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("aws")
	if err != nil {
		missing(t, "the aws CLI")
	}
	return p
}

// CLIEnv is the environment for running the aws CLI against an endpoint
// with the simulator's credentials and no user configuration.
func CLIEnv(t testing.TB, region string) []string {
	dir := t.TempDir()
	env := []string{
		"AWS_ACCESS_KEY_ID=" + sim.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + sim.SecretAccessKey,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=1",
	}
	for _, k := range []string{"PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// Moto returns the URL of a moto_server: $LAMBDAUDIT_MOTO_URL when set
// (the Makefile starts one), else one started for this test. It skips
// (fails in CI) when moto_server is not installed.
func Moto(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("LAMBDAUDIT_MOTO_URL"); u != "" {
		return u
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		missing(t, "moto_server")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatalf("simtest: start moto_server: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url + "/moto-api/"); err == nil {
			resp.Body.Close()
			return url
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("simtest: moto_server did not answer on %s within 30s", url)
	return ""
}

// SilentEndpoint is a TCP listener that accepts connections and never
// answers, the endpoint that used to hang a scan forever. It returns its
// http:// URL; the listener and the connections close when the test ends.
func SilentEndpoint(t testing.TB) string {
	t.Helper()
	url, _ := SilentEndpointCounting(t)
	return url
}

// SilentEndpointCounting is SilentEndpoint with the number of
// connections it has accepted, for tests that check how often a client
// came back.
func SilentEndpointCounting(t testing.TB) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			mu.Lock()
			conns = append(conns, c) // held open, never read or answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String(), &n
}

// MotoS3 is an S3 client of Moto's server (path-style, as a local
// endpoint needs) and a fresh, empty bucket in it, for tests of code that
// writes to S3.
func MotoS3(t testing.TB) (*s3.Client, string) {
	t.Helper()
	client := s3.NewFromConfig(SDKConfig(t, Moto(t), "us-east-1"), func(o *s3.Options) {
		o.UsePathStyle = true
		// moto sends no checksums; the SDK would log each skipped check.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	bucket := "lambdaudit-test-" + hex.EncodeToString(b[:])
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("simtest: create bucket %s: %v", bucket, err)
	}
	return client, bucket
}

// MotoQueue describes an SQS queue for MotoSQS to create.
type MotoQueue struct {
	// FIFO makes a FIFO queue (its name ends in ".fifo").
	FIFO bool
	// MaxReceiveCount > 0 gives the queue a dead-letter queue of the same
	// type and a redrive policy moving a message there after that many
	// receives.
	MaxReceiveCount int
	// VisibilityTimeout is the queue's visibility timeout (0 = SQS's
	// default, 30s).
	VisibilityTimeout time.Duration
}

// MotoSQS is an SQS client of Moto's server and a fresh, empty queue in
// it as q describes, for tests of code that sends to SQS. dlqURL is ""
// unless q.MaxReceiveCount > 0.
func MotoSQS(t testing.TB, q MotoQueue) (client *sqs.Client, queueURL, dlqURL string) {
	t.Helper()
	ctx := context.Background()
	client = sqs.NewFromConfig(SDKConfig(t, Moto(t), "us-east-1"))
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "lambdaudit-test-" + hex.EncodeToString(b[:])
	suffix := ""
	attrs := map[string]string{}
	if q.FIFO {
		suffix = ".fifo"
		attrs[string(sqstypes.QueueAttributeNameFifoQueue)] = "true"
	}
	if q.VisibilityTimeout > 0 {
		attrs[string(sqstypes.QueueAttributeNameVisibilityTimeout)] = fmt.Sprint(int(q.VisibilityTimeout / time.Second))
	}
	create := func(name string, attrs map[string]string) string {
		out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			t.Fatalf("simtest: create queue %s: %v", name, err)
		}
		return aws.ToString(out.QueueUrl)
	}
	if q.MaxReceiveCount > 0 {
		dlqAttrs := map[string]string{}
		if q.FIFO {
			dlqAttrs[string(sqstypes.QueueAttributeNameFifoQueue)] = "true"
		}
		dlqURL = create(name+"-dlq"+suffix, dlqAttrs)
		out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(dlqURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
		})
		if err != nil {
			t.Fatalf("simtest: dead-letter queue ARN: %v", err)
		}
		attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`,
			out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], q.MaxReceiveCount)
	}
	return client, create(name+suffix, attrs), dlqURL
}
