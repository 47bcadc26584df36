package notify

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

var ogBucketSeq atomic.Int64

// ogMotoS3 is an S3 client for a moto_server, path-style, with a fresh
// bucket.
func ogMotoS3(t *testing.T) (*s3.Client, string) {
	t.Helper()
	url := simtest.Moto(t)
	client := s3.NewFromConfig(simtest.SDKConfig(t, url, "us-east-1"), func(o *s3.Options) {
		o.UsePathStyle = true
		// moto sends no checksums; the SDK would log each skipped check.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	bucket := fmt.Sprintf("lambdaudit-state-%d-%d", ogBucketSeq.Add(1), len(t.Name()))
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return client, bucket
}

func TestS3Store(t *testing.T) {
	client, bucket := ogMotoS3(t)
	s, err := NewS3Store(client, bucket, "/team-a/lambdaudit/")
	if err != nil {
		t.Fatal(err)
	}
	ogStoreContract(t, s)
	// Under the prefix, as JSON.
	out, err := client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket),
		Key: aws.String("team-a/lambdaudit/opsgenie/open-alerts.json")})
	if err != nil {
		t.Fatalf("object not under the prefix: %v", err)
	}
	if ct := aws.ToString(out.ContentType); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	// A missing bucket is an error, not "nothing stored".
	other, _ := NewS3Store(client, bucket+"-missing", "")
	if _, err := other.Get(context.Background(), "x"); err == nil || strings.Contains(err.Error(), ErrNotStored.Error()) {
		t.Errorf("missing bucket: %v", err)
	}
	for _, c := range []struct{ bucket, prefix string }{{"", ""}, {"a/b", ""}, {"b", "a/../c"}} {
		if _, err := NewS3Store(client, c.bucket, c.prefix); err == nil {
			t.Errorf("NewS3Store(%q, %q) accepted", c.bucket, c.prefix)
		}
	}
}

// The open set in S3 survives a restart: Lambda mode.
func TestOpsgenieRunSurvivesRestartS3(t *testing.T) {
	client, bucket := ogMotoS3(t)
	ogRestartTest(t, func() Store {
		s, err := NewS3Store(client, bucket, "state")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
