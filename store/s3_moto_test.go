package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
	"github.com/lambdaudit/lambdaudit/store"
)

// TestS3 runs the conformance table against moto_server, each case under
// its own prefix of one bucket. moto 5.2.1 checks If-None-Match and then
// writes, not atomically, so the one-winner promise is AWS's (see
// conformance.raceFreeCreate).
func TestS3(t *testing.T) {
	client, bucket := simtest.MotoS3(t)
	var n atomic.Int64
	testConformance(t, func(t *testing.T) store.Store {
		s, err := store.NewS3(client, bucket, fmt.Sprintf("/team-a/case-%d/", n.Add(1)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, conformance{raceFreeCreate: false})
}

// Objects go under the store's prefix, JSON documents as JSON, and keys
// outside the prefix or that are not keys are not listed.
func TestS3Layout(t *testing.T) {
	ctx := context.Background()
	client, bucket := simtest.MotoS3(t)
	s, err := store.NewS3(client, bucket, "team-a/lambdaudit")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "opsgenie/open-alerts.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	out, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket),
		Key: aws.String("team-a/lambdaudit/opsgenie/open-alerts.json")})
	if err != nil {
		t.Fatalf("object not under the prefix: %v", err)
	}
	if ct := aws.ToString(out.ContentType); ct != "application/json" {
		t.Errorf("content type %q, want application/json", ct)
	}
	for _, k := range []string{"team-a/lambdaudit-other/x", "team-a/lambdaudit/folder/", "team-a/lambdaudit/a//b", "elsewhere"} {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("")}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := collect(s.List(ctx, ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"opsgenie/open-alerts.json"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("List = %q, want %q", got, want)
	}

	// A missing bucket is an error, not an empty store.
	gone, err := store.NewS3(client, bucket+"-missing", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gone.Get(ctx, "x"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get in a missing bucket: %v, want an error other than ErrNotFound", err)
	}
	if _, err := collect(gone.List(ctx, "")); err == nil {
		t.Errorf("List in a missing bucket: no error")
	}
}

// moto 5.2.1 refuses a conditional create of an existing object with 412
// PreconditionFailed (sequentially; see TestS3 for concurrency): the
// request really carries If-None-Match and moto really checks it.
func TestS3CreateConditionalOnMoto(t *testing.T) {
	ctx := context.Background()
	client, bucket := simtest.MotoS3(t)
	s, err := store.NewS3(client, bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "claim", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "claim", []byte("second")); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second Create: %v, want ErrExists", err)
	}
	mustGet(t, s, "claim", "first")
}
