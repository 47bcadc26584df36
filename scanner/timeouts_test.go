package scanner_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

func TestBoundCalls(t *testing.T) {
	url := simtest.SilentEndpoint(t)
	tests := []struct {
		name              string
		httpT, callT      time.Duration
		attempts          int
		wantAfter, within time.Duration
		wantHint          string
	}{
		{"each attempt times out", 150 * time.Millisecond, time.Minute, 2, 150 * time.Millisecond, 5 * time.Second, "--http-timeout"},
		{"the call outlives its deadline", time.Minute, 300 * time.Millisecond, 8, 300 * time.Millisecond, 5 * time.Second, "--call-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := aws.Config{
				Region:       "us-east-1",
				Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
				BaseEndpoint: aws.String(url),
				Retryer:      scanner.Retryer(tt.attempts),
			}
			scanner.BoundCalls(&cfg, tt.httpT, tt.callT)
			start := time.Now()
			_, err := cloudwatch.NewFromConfig(cfg).GetMetricData(context.Background(), gmdInput())
			el := time.Since(start)
			if err == nil {
				t.Fatal("no error from an endpoint that never answers")
			}
			if el > tt.within {
				t.Errorf("failed after %v, want within %v", el, tt.within)
			}
			var te *scanner.CallTimeoutError
			if !errors.As(err, &te) {
				t.Fatalf("error %v (%T) is not a CallTimeoutError", err, err)
			}
			want := "cloudwatch:GetMetricData at " + url + ": no answer within " + tt.wantAfter.String()
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tt.wantHint) {
				t.Errorf("error %q, want it to say %q and %s", err, want, tt.wantHint)
			}
		})
	}
}

// A caller's own cancellation is not reported as a timeout.
func TestBoundCallsCallerCancel(t *testing.T) {
	url := simtest.SilentEndpoint(t)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), BaseEndpoint: aws.String(url), Retryer: scanner.Retryer(1)}
	scanner.BoundCalls(&cfg, time.Minute, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := cloudwatch.NewFromConfig(cfg).GetMetricData(ctx, gmdInput())
	var te *scanner.CallTimeoutError
	if errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v: want the caller's deadline, not a call timeout", err)
	}
}

func gmdInput() *cloudwatch.GetMetricDataInput {
	end := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	return &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(end.Add(-24 * time.Hour)), EndTime: aws.Time(end),
		MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("q0"), Expression: aws.String("SEARCH('x', 'Sum', 86400)")}},
	}
}

// A streaming body (S3 GetObject's) is read after the call returns: the
// call's deadline must not end it. The server sends the headers, then the
// body a moment later, so the read cannot come from the first packet.
func TestBoundCallsStreamingBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		time.Sleep(100 * time.Millisecond)
		io.WriteString(w, "hello")
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), BaseEndpoint: aws.String(srv.URL), Retryer: scanner.Retryer(1)}
	scanner.BoundCalls(&cfg, time.Minute, time.Minute)
	out, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || string(b) != "hello" {
		t.Errorf("body %q, %v: want hello", b, err)
	}
}
