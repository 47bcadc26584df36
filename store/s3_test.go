package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
	"github.com/lambdaudit/lambdaudit/store"
)

// s3Answer is one HTTP answer of the stand-in S3.
type s3Answer struct {
	status int
	code   string // S3 XML error code; "" for no body
}

// s3Request is what the stand-in saw.
type s3Request struct {
	method, path, ifNoneMatch string
}

// fakeS3Server answers requests with answers in turn (the last one
// repeated), speaking S3's XML error format, and records the requests.
func fakeS3Server(t *testing.T, answers ...s3Answer) (*store.S3, func() []s3Request) {
	t.Helper()
	var mu sync.Mutex
	var seen []s3Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := len(seen)
		seen = append(seen, s3Request{r.Method, r.URL.Path, r.Header.Get("If-None-Match")})
		mu.Unlock()
		a := answers[min(n, len(answers)-1)]
		w.Header().Set("x-amz-request-id", "REQ123")
		if a.code == "" {
			if a.status == http.StatusOK && r.Method == http.MethodGet {
				w.Header().Set("Content-Length", "4")
				w.WriteHeader(http.StatusOK)
				w.Write([]byte("body"))
				return
			}
			w.WriteHeader(a.status)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(a.status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>%s</Code><Message>stand-in says %s</Message><RequestId>REQ123</RequestId><HostId>HOST</HostId></Error>`, a.code, a.code)
	}))
	t.Cleanup(srv.Close)
	client := s3.NewFromConfig(simtest.SDKConfig(t, srv.URL, "us-east-1"), func(o *s3.Options) {
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	s, err := store.NewS3(client, "claims-bucket", "state")
	if err != nil {
		t.Fatal(err)
	}
	store.SetConflictPauses(s, 0, 0)
	return s, func() []s3Request {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// S3's answers, as the SDK parses them from the wire, map onto the
// store's errors.
func TestS3ErrorMapping(t *testing.T) {
	ctx := context.Background()
	const key = "claims/2026-11-21"
	cases := []struct {
		name     string
		op       string // get, put, create
		answers  []s3Answer
		want     error // errors.Is target; nil for success
		notWant  error // must not be errors.Is
		requests int
		contains string
	}{
		{name: "create 412 PreconditionFailed is ErrExists", op: "create",
			answers: []s3Answer{{412, "PreconditionFailed"}}, want: store.ErrExists, requests: 1},
		{name: "create 412 without a body is ErrExists", op: "create",
			answers: []s3Answer{{412, ""}}, want: store.ErrExists, requests: 1},
		{name: "create 409 then success is retried and wins", op: "create",
			answers: []s3Answer{{409, "ConditionalRequestConflict"}, {200, ""}}, requests: 2},
		{name: "create 409 then 412 is ErrExists", op: "create",
			answers: []s3Answer{{409, "ConditionalRequestConflict"}, {412, "PreconditionFailed"}}, want: store.ErrExists, requests: 2},
		{name: "create 409 every time is ErrExists after 3 attempts", op: "create",
			answers: []s3Answer{{409, "ConditionalRequestConflict"}}, want: store.ErrExists, requests: 3, contains: "409 ConditionalRequestConflict 3 times"},
		{name: "create 403 AccessDenied is an error, not ErrExists", op: "create",
			answers: []s3Answer{{403, "AccessDenied"}}, notWant: store.ErrExists, requests: 1, contains: "AccessDenied"},
		{name: "create success", op: "create", answers: []s3Answer{{200, ""}}, requests: 1},
		{name: "put success sends no condition", op: "put", answers: []s3Answer{{200, ""}}, requests: 1},
		{name: "put 412 is an error, not ErrExists", op: "put",
			answers: []s3Answer{{412, "PreconditionFailed"}}, notWant: store.ErrExists, requests: 1},
		{name: "get 404 NoSuchKey is ErrNotFound", op: "get",
			answers: []s3Answer{{404, "NoSuchKey"}}, want: store.ErrNotFound, requests: 1},
		{name: "get bare 404 is ErrNotFound", op: "get",
			answers: []s3Answer{{404, ""}}, want: store.ErrNotFound, requests: 1},
		{name: "get 404 NoSuchBucket is an error, not ErrNotFound", op: "get",
			answers: []s3Answer{{404, "NoSuchBucket"}}, notWant: store.ErrNotFound, requests: 1, contains: "NoSuchBucket"},
		{name: "get 403 AccessDenied is an error, not ErrNotFound", op: "get",
			answers: []s3Answer{{403, "AccessDenied"}}, notWant: store.ErrNotFound, requests: 1},
		{name: "get success", op: "get", answers: []s3Answer{{200, ""}}, requests: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, seen := fakeS3Server(t, tc.answers...)
			var err error
			switch tc.op {
			case "get":
				var b []byte
				b, err = s.Get(ctx, key)
				if err == nil && string(b) != "body" {
					t.Errorf("Get = %q", b)
				}
			case "put":
				err = s.Put(ctx, key, []byte("x"))
			case "create":
				err = s.Create(ctx, key, []byte("x"))
			}
			switch {
			case tc.want == nil && tc.notWant == nil && err != nil:
				t.Errorf("%s: %v, want success", tc.op, err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("%s: %v, want %v", tc.op, err, tc.want)
			case tc.notWant != nil && (err == nil || errors.Is(err, tc.notWant)):
				t.Errorf("%s: %v, want an error other than %v", tc.op, err, tc.notWant)
			}
			if err != nil && !strings.Contains(err.Error(), "s3://claims-bucket/state/"+key) {
				t.Errorf("error %q does not name the object", err)
			}
			if tc.contains != "" && (err == nil || !strings.Contains(err.Error(), tc.contains)) {
				t.Errorf("error %v does not say %q", err, tc.contains)
			}
			reqs := seen()
			if len(reqs) != tc.requests {
				t.Errorf("%d requests, want %d: %+v", len(reqs), tc.requests, reqs)
			}
			for _, r := range reqs {
				if r.path != "/claims-bucket/state/"+key {
					t.Errorf("request path %q", r.path)
				}
				wantINM := ""
				if tc.op == "create" {
					wantINM = "*"
				}
				if r.ifNoneMatch != wantINM {
					t.Errorf("%s %s: If-None-Match %q, want %q", r.method, r.path, r.ifNoneMatch, wantINM)
				}
			}
		})
	}
}

// pagedS3 is an in-process S3API holding sorted object keys, serving
// ListObjectsV2 in pages of pageSize with continuation tokens.
type pagedS3 struct {
	store.S3API // Get and Put are not called
	keys        []string
	pageSize    int
	calls       []s3.ListObjectsV2Input
}

func (f *pagedS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	f.calls = append(f.calls, *in)
	var match []string
	for _, k := range f.keys {
		if strings.HasPrefix(k, aws.ToString(in.Prefix)) {
			match = append(match, k)
		}
	}
	start := 0
	if in.ContinuationToken != nil {
		fmt.Sscan(*in.ContinuationToken, &start)
	}
	end := min(start+f.pageSize, len(match))
	out := &s3.ListObjectsV2Output{IsTruncated: aws.Bool(end < len(match))}
	for _, k := range match[start:end] {
		out.Contents = append(out.Contents, types.Object{Key: aws.String(k)})
	}
	if end < len(match) {
		out.NextContinuationToken = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

// List follows every page, strips the store's prefix, skips names that
// are not keys, and asks for no further page once the caller stops.
func TestS3ListPages(t *testing.T) {
	ctx := context.Background()
	f := &pagedS3{pageSize: 2, keys: []string{
		"p/units/", // a console folder marker
		"p/units/a",
		"p/units/a//b",
		"p/units/b",
		"p/units/c",
		"p/units/d",
		"p/unitsX",
		"q/units/e",
	}}
	s, err := store.NewS3(f, "bucket", "p")
	if err != nil {
		t.Fatal(err)
	}
	got, err := collect(s.List(ctx, "units/"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"units/a", "units/b", "units/c", "units/d"}; !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
	if len(f.calls) != 3 || aws.ToString(f.calls[0].Prefix) != "p/units/" || aws.ToString(f.calls[0].Bucket) != "bucket" {
		t.Errorf("calls: %d, first %+v", len(f.calls), f.calls[0])
	}

	f.calls = nil
	for k, err := range s.List(ctx, "units/") {
		if err != nil || k != "units/a" {
			t.Fatalf("first: %q %v", k, err)
		}
		break
	}
	if len(f.calls) != 1 {
		t.Errorf("stopping after the first key made %d calls, want 1", len(f.calls))
	}
}

func TestNewS3Refuses(t *testing.T) {
	f := &pagedS3{}
	for _, tc := range []struct{ name, bucket, prefix, says string }{
		{"empty bucket", "", "", "bucket"},
		{"bucket with a slash", "a/b", "", "bucket"},
		{"upper-case bucket", "Bucket", "", "bucket"},
		{"dotdot prefix", "bucket", "a/../c", `"a/../c"`},
		{"doubled slash", "bucket", "a//c", `"a//c"`},
		{"long prefix", "bucket", strings.Repeat("p", 200), "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.NewS3(f, tc.bucket, tc.prefix)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("NewS3(%q, %q): %v, want an error saying %s", tc.bucket, tc.prefix, err, tc.says)
			}
		})
	}
	if _, err := store.NewS3(nil, "bucket", ""); err == nil {
		t.Error("nil client accepted")
	}
}
