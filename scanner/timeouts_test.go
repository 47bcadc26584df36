package scanner_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lambdaudit/lambdaudit/scanner"
)

// silentEndpoint is a TCP listener that accepts connections and never
// answers, the endpoint that used to hang a scan forever.
func silentEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
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
	return "http://" + ln.Addr().String()
}

func TestBoundCalls(t *testing.T) {
	url := silentEndpoint(t)
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
	url := silentEndpoint(t)
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
