package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// The S3 calls the S3 store makes, each with the SDK's exact signature
// ((*s3.Client) satisfies all three; S3ListAPI is what
// s3.NewListObjectsV2Paginator accepts), so a fake can stand in for the
// pure logic.
type (
	S3GetAPI interface {
		GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	}
	S3PutAPI interface {
		PutObject(ctx context.Context, params *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	}
	S3ListAPI interface {
		ListObjectsV2(ctx context.Context, params *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	}
	// S3API is the whole of what S3 needs.
	S3API interface {
		S3GetAPI
		S3PutAPI
		S3ListAPI
	}
)

// S3 is a Store in an S3 bucket under a key prefix: the document under
// "a/b.json" is the object <prefix>/a/b.json. Put is one PutObject (S3
// replaces objects atomically); Create is a PutObject with If-None-Match:
// * (a conditional write), which S3 refuses with 412 PreconditionFailed
// when the object exists; List follows ListObjectsV2 pages, which S3
// returns in UTF-8 byte order. Build the client as the rest of lambdaudit
// does (s3.NewFromConfig, with o.UsePathStyle = true for a local S3 such
// as moto_server).
type S3 struct {
	api    S3API
	bucket string
	prefix string // no slash at either end; "" is the bucket's root
	// conflictPauses are the waits before retrying a Create S3 answered
	// with 409 ConditionalRequestConflict; their count is the retries.
	conflictPauses []time.Duration
}

var _ Store = (*S3)(nil)

// bucketName is S3's general-purpose bucket naming rule (3–63 lowercase
// letters, digits, dots and hyphens, starting and ending with a letter or
// digit).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// maxS3Prefix leaves a MaxKeyLen key and its slash inside S3's 1,024
// bytes.
const maxS3Prefix = 1024 - MaxKeyLen - 1

// NewS3 returns a store in bucket under prefix ("" or e.g.
// "lambdaudit/state"; slashes at either end are ignored; it must be a
// valid key otherwise).
func NewS3(api S3API, bucket, prefix string) (*S3, error) {
	if api == nil {
		return nil, errors.New("store: s3: no S3 client")
	}
	if !bucketName.MatchString(bucket) || strings.Contains(bucket, "..") {
		return nil, fmt.Errorf("store: s3 bucket %q: not a bucket name (3 to 63 lowercase letters, digits, dots and hyphens)", bucket)
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		if reason := keyProblem(prefix); reason != "" {
			return nil, fmt.Errorf("store: s3 prefix %q: %s: %w", prefix, reason, ErrInvalidKey)
		}
		if len(prefix) > maxS3Prefix {
			return nil, fmt.Errorf("store: s3 prefix %q: %d bytes, at most %d allowed", prefix, len(prefix), maxS3Prefix)
		}
	}
	return &S3{api: api, bucket: bucket, prefix: prefix,
		conflictPauses: []time.Duration{50 * time.Millisecond, 200 * time.Millisecond}}, nil
}

func (s *S3) objectKey(key string) string {
	if s.prefix == "" {
		return key
	}
	return s.prefix + "/" + key
}

func (s *S3) where(key string) string { return "s3://" + s.bucket + "/" + s.objectKey(key) }

// Get reads the object for key. NoSuchKey (and a bare 404 other than
// NoSuchBucket) is ErrNotFound; a missing bucket is an error, not an
// empty store.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.objectKey(key))})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("store %s: get: %w", s.where(key), ErrNotFound)
		}
		return nil, fmt.Errorf("store %s: get: %w", s.where(key), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("store %s: get: reading the body: %w", s.where(key), err)
	}
	return b, nil
}

// Put writes the object for key.
func (s *S3) Put(ctx context.Context, key string, b []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if _, err := s.api.PutObject(ctx, s.putInput(key, b)); err != nil {
		return fmt.Errorf("store %s: put: %w", s.where(key), err)
	}
	return nil
}

// Create writes the object for key with If-None-Match: *. S3 answers 412
// PreconditionFailed when the object exists (ErrExists). It answers 409
// ConditionalRequestConflict when a conflicting operation on the key was
// in progress; AWS asks for a retry, so Create retries a few times and
// then reports ErrExists (another writer is at work on the key).
//
// A 412 can also answer a retry of Create's own request whose first
// answer was lost after S3 had stored it. A caller that must know whether
// it holds the claim therefore writes something of its own in the claim
// (an invocation ID) and, on ErrExists, reads the key and compares.
func (s *S3) Create(ctx context.Context, key string, b []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		in := s.putInput(key, b)
		in.IfNoneMatch = aws.String("*")
		_, err := s.api.PutObject(ctx, in)
		switch {
		case err == nil:
			return nil
		case isPreconditionFailed(err):
			return fmt.Errorf("store %s: create: %w", s.where(key), ErrExists)
		case !isConditionalConflict(err):
			return fmt.Errorf("store %s: create: %w", s.where(key), err)
		case attempt == len(s.conflictPauses):
			return fmt.Errorf("store %s: create: S3 answered 409 ConditionalRequestConflict %d times: %w", s.where(key), attempt+1, ErrExists)
		}
		t := time.NewTimer(s.conflictPauses[attempt])
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("store %s: create: %w", s.where(key), ctx.Err())
		case <-t.C:
		}
	}
}

func (s *S3) putInput(key string, b []byte) *s3.PutObjectInput {
	ct := "application/octet-stream"
	if strings.HasSuffix(key, ".json") {
		ct = "application/json"
	}
	return &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.objectKey(key)),
		Body:          bytes.NewReader(b),
		ContentLength: aws.Int64(int64(len(b))),
		ContentType:   aws.String(ct),
	}
}

// List follows ListObjectsV2 pages of <prefix>/<list prefix>, one page
// (up to 1,000 keys) in memory at a time, and stops asking for pages when
// the caller stops. Objects whose names are not valid keys (a console's
// "folder/" markers, say) are skipped.
func (s *S3) List(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := checkPrefix(prefix); err != nil {
		return failed(err)
	}
	root := ""
	if s.prefix != "" {
		root = s.prefix + "/"
	}
	return func(yield func(string, error) bool) {
		p := s3.NewListObjectsV2Paginator(s.api, &s3.ListObjectsV2Input{
			Bucket: aws.String(s.bucket),
			Prefix: aws.String(root + prefix),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				yield("", fmt.Errorf("store s3://%s/%s: list: %w", s.bucket, root+prefix, err))
				return
			}
			for _, o := range page.Contents {
				k, ok := strings.CutPrefix(aws.ToString(o.Key), root)
				if !ok || keyProblem(k) != "" {
					continue
				}
				if !yield(k, nil) {
					return
				}
			}
		}
	}
}

// httpStatus is the HTTP status of an SDK error, 0 when it has none.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	switch errorCode(err) {
	case "NoSuchKey", "NotFound":
		return true
	case "NoSuchBucket":
		return false
	}
	return httpStatus(err) == http.StatusNotFound
}

func isPreconditionFailed(err error) bool {
	return errorCode(err) == "PreconditionFailed" || httpStatus(err) == http.StatusPreconditionFailed
}

func isConditionalConflict(err error) bool {
	return errorCode(err) == "ConditionalRequestConflict" || httpStatus(err) == http.StatusConflict
}
