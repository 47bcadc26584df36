package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3StoreAPI is the part of the S3 client S3Store uses, with the SDK's
// signatures (*s3.Client satisfies it).
type S3StoreAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// S3Store keeps documents as objects under bucket/prefix.
type S3Store struct {
	api    S3StoreAPI
	bucket string
	prefix string
}

// NewS3Store returns a store in bucket under prefix ("" or e.g.
// "lambdaudit/state").
func NewS3Store(api S3StoreAPI, bucket, prefix string) (*S3Store, error) {
	if api == nil {
		return nil, errors.New("results store: nil S3 client")
	}
	if bucket == "" || strings.ContainsAny(bucket, "/ ") {
		return nil, fmt.Errorf("results store: bucket %q: must be a bucket name", bucket)
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		if err := storeKeyErr(prefix); err != nil {
			return nil, fmt.Errorf("results store: prefix: %w", err)
		}
	}
	return &S3Store{api: api, bucket: bucket, prefix: prefix}, nil
}

func (s *S3Store) objectKey(key string) string {
	if s.prefix == "" {
		return key
	}
	return s.prefix + "/" + key
}

// Get reads the object for key.
func (s *S3Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := storeKeyErr(key); err != nil {
		return nil, err
	}
	k := s.objectKey(key)
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(k)})
	if err != nil {
		var nsk *types.NoSuchKey
		var api smithy.APIError
		if errors.As(err, &nsk) || (errors.As(err, &api) && (api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NotFound")) {
			return nil, fmt.Errorf("results store s3://%s/%s: %w", s.bucket, k, ErrNotStored)
		}
		return nil, fmt.Errorf("results store s3://%s/%s: %w", s.bucket, k, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("results store s3://%s/%s: %w", s.bucket, k, err)
	}
	return b, nil
}

// Put writes the object for key (a single PUT: S3 replaces objects
// atomically).
func (s *S3Store) Put(ctx context.Context, key string, b []byte) error {
	if err := storeKeyErr(key); err != nil {
		return err
	}
	k := s.objectKey(key)
	ct := "application/octet-stream"
	if strings.HasSuffix(key, ".json") {
		ct = "application/json"
	}
	_, err := s.api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(k),
		Body: bytes.NewReader(b), ContentLength: aws.Int64(int64(len(b))), ContentType: aws.String(ct)})
	if err != nil {
		return fmt.Errorf("results store s3://%s/%s: %w", s.bucket, k, err)
	}
	return nil
}
