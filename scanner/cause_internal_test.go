package scanner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/lambdaudit/lambdaudit/logstats"
)

// sdkErr is an error shaped as aws-sdk-go-v2 returns it.
func sdkErr(service, op string, status int, inner error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: inner}}
}

// TestNormalise: one classification of the scan's errors into (code,
// service:API), with nothing of the request's detail in it.
func TestNormalise(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::1:user/x is not authorized"}
	for _, tc := range []struct {
		name     string
		err      error
		code     string
		api      string
		wantText bool // also normalise err.Error() alike
	}{
		{"AccessDenied on GetMetricData", fmt.Errorf("metrics: GetMetricData for 500 queries from a/b/c Duration:Sum, page 1: %w", sdkErr("CloudWatch", "GetMetricData", 403, denied)), "AccessDenied", "cloudwatch:GetMetricData", true},
		{"Logs throttled", sdkErr("CloudWatch Logs", "StartQuery", 400, &smithy.GenericAPIError{Code: "ThrottlingException"}), "ThrottlingException", "logs:StartQuery", true},
		{"tagging", sdkErr("Resource Groups Tagging API", "GetResources", 400, &smithy.GenericAPIError{Code: "AccessDeniedException"}), "AccessDeniedException", "tag:GetResources", true},
		{"5xx without a code", sdkErr("Lambda", "ListFunctions", 502, errors.New("bad gateway")), "HTTP 502", "lambda:ListFunctions", true},
		{"connection refused", &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &smithyhttp.RequestSendError{Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}}, CodeUnreachable, "sts:AssumeRole", false},
		{"cancelled", &smithy.OperationError{ServiceID: "CloudWatch", OperationName: "GetMetricData", Err: &smithyhttp.RequestSendError{Err: context.Canceled}}, CodeInterrupted, "cloudwatch:GetMetricData", true},
		{"deadline", fmt.Errorf("wait: %w", context.DeadlineExceeded), CodeTimeout, "", true},
		{"query failed", &logstats.QueryError{Account: "1", Region: "r", QueryID: "q", Status: "Failed", Groups: 3}, "QueryFailed", "logs:GetQueryResults", false},
		{"target error", &TargetError{Account: "1", Region: "r", Op: "lambda:ListFunctions", Err: fmt.Errorf("%w: %w", ErrAccessDenied, sdkErr("Lambda", "ListFunctions", 403, &smithy.GenericAPIError{Code: "AccessDeniedException"}))}, "AccessDeniedException", "lambda:ListFunctions", true},
		{"anything else", errors.New("boom"), CodeError, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, api := normalise(tc.err)
			if code != tc.code || api != tc.api {
				t.Errorf("normalise = %q %q, want %q %q", code, api, tc.code, tc.api)
			}
			if tc.wantText {
				if code, api := normaliseText(tc.err.Error()); code != tc.code || api != tc.api {
					t.Errorf("normaliseText(%q) = %q %q, want %q %q", tc.err.Error(), code, api, tc.code, tc.api)
				}
			}
		})
	}
}

// TestNormaliseTextStatus: GetMetricData's per-query statuses, known only
// by their text, have the status as the code.
func TestNormaliseTextStatus(t *testing.T) {
	code, api := normaliseText("GetMetricData status PartialData: MaxQueryTimeRangeExceed: too much")
	if code != "PartialData" || api != "cloudwatch:GetMetricData" {
		t.Errorf("got %q %q", code, api)
	}
}
