package awserr_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/lambdaudit/lambdaudit/awserr"
)

// resp is an AWS answer as the SDK's deserialisers wrap it.
func resp(status int, err error) error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}
}

// awsResp is resp with the request ID, as aws/transport/http wraps it.
func awsResp(status int, err error) error {
	return &awshttp.ResponseError{ResponseError: resp(status, err).(*smithyhttp.ResponseError), RequestID: "r-1"}
}

func api(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }

// op wraps err as a client's operation returns it.
func op(service, operation string, err error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: operation, Err: err}
}

// sendErr is a request that never got an answer.
func sendErr(err error) error { return &smithyhttp.RequestSendError{Err: err} }

var (
	refused  = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	nxdomain = &net.DNSError{Err: "no such host", Name: "monitoring.example", IsNotFound: true}
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want awserr.Class
	}{
		{"nil", nil, awserr.None},
		{"context canceled", fmt.Errorf("scan: %w", context.Canceled), awserr.Canceled},
		{"canceled inside a send error", op("Lambda", "ListFunctions", sendErr(context.Canceled)), awserr.Canceled},
		{"CloudWatch Throttling 400", op("CloudWatch", "GetMetricData", awsResp(400, api("Throttling"))), awserr.Throttle},
		{"Logs ThrottlingException", api("ThrottlingException"), awserr.Throttle},
		{"Lambda TooManyRequestsException 429", op("Lambda", "GetFunction", awsResp(429, api("TooManyRequestsException"))), awserr.Throttle},
		{"EC2 RequestLimitExceeded 503", resp(503, api("RequestLimitExceeded")), awserr.Throttle},
		{"Tagging ThrottledException", api("ThrottledException"), awserr.Throttle},
		{"Logs LimitExceededException (SDK's throttle list)", api("LimitExceededException"), awserr.Throttle},
		{"bare HTTP 429", resp(429, errors.New("slow down")), awserr.Throttle},
		{"AccessDenied 403", op("CloudWatch", "GetMetricData", awsResp(403, api("AccessDenied"))), awserr.AccessDenied},
		{"AccessDeniedException", api("AccessDeniedException"), awserr.AccessDenied},
		{"EC2 UnauthorizedOperation", api("UnauthorizedOperation"), awserr.AccessDenied},
		{"bare HTTP 403", resp(403, errors.New("forbidden")), awserr.AccessDenied},
		{"UnrecognizedClientException 403", awsResp(403, api("UnrecognizedClientException")), awserr.Credentials},
		{"STS InvalidClientTokenId", api("InvalidClientTokenId"), awserr.Credentials},
		{"ExpiredToken", api("ExpiredToken"), awserr.Credentials},
		{"SignatureDoesNotMatch", api("SignatureDoesNotMatch"), awserr.Credentials},
		{"ResourceNotFoundException", awsResp(400, api("ResourceNotFoundException")), awserr.NotFound},
		{"bare HTTP 404", resp(404, errors.New("not found")), awserr.NotFound},
		{"HTTP 503 ServiceUnavailable", resp(503, api("ServiceUnavailable")), awserr.Transient},
		{"HTTP 500 without a code", resp(500, errors.New("oops")), awserr.Transient},
		{"HTTP 502 without a code", awsResp(502, errors.New("bad gateway")), awserr.Transient},
		{"InternalFailure without a status", api("InternalFailure"), awserr.Transient},
		{"RequestTimeout (SDK's retryable codes)", api("RequestTimeout"), awserr.Transient},
		{"connection refused", op("CloudWatch", "GetMetricData", sendErr(refused)), awserr.Transient},
		{"connection reset", sendErr(errors.New("read tcp: connection reset by peer")), awserr.Transient},
		{"NXDOMAIN: a send error all the same", sendErr(nxdomain), awserr.Transient},
		{"net timeout", sendErr(timeoutErr{}), awserr.Transient},
		{"deadline exceeded", fmt.Errorf("attempt: %w", context.DeadlineExceeded), awserr.Transient},
		{"ValidationException 400", awsResp(400, api("ValidationException")), awserr.Permanent},
		{"Logs MalformedQueryException", api("MalformedQueryException"), awserr.Permanent},
		{"Logs InvalidParameterException (Delivery class)", awsResp(400, api("InvalidParameterException")), awserr.Permanent},
		{"unknown code, 400", resp(400, api("SomethingNew")), awserr.Permanent},
		{"unknown code, no status", api("SomethingNew"), awserr.Unknown},
		{"plain error", errors.New("boom"), awserr.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := awserr.Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if got, want := awserr.IsThrottle(tt.err), tt.want == awserr.Throttle; got != want {
				t.Errorf("IsThrottle(%v) = %v, want %v", tt.err, got, want)
			}
		})
	}
}

func TestClassRetryable(t *testing.T) {
	tests := []struct {
		class awserr.Class
		want  bool
	}{
		{awserr.None, false}, {awserr.Canceled, false}, {awserr.Throttle, true}, {awserr.AccessDenied, false},
		{awserr.Credentials, false}, {awserr.NotFound, false}, {awserr.Transient, true}, {awserr.Permanent, false},
		{awserr.Unknown, true},
	}
	for _, tt := range tests {
		t.Run(tt.class.String(), func(t *testing.T) {
			if got := tt.class.Retryable(); got != tt.want {
				t.Errorf("%v.Retryable() = %v, want %v", tt.class, got, tt.want)
			}
		})
	}
}

func TestCodeAndAPI(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		code, api string
	}{
		{"AWS code", op("CloudWatch", "GetMetricData", awsResp(403, api("AccessDenied"))), "AccessDenied", "cloudwatch:GetMetricData"},
		{"Logs service ID", op("CloudWatch Logs", "StartQuery", awsResp(400, api("InvalidParameterException"))), "InvalidParameterException", "logs:StartQuery"},
		{"Tagging service ID", op("Resource Groups Tagging API", "GetResources", api("ThrottledException")), "ThrottledException", "tag:GetResources"},
		{"unknown service ID lower-cased", op("Service Quotas", "GetServiceQuota", api("X")), "X", "servicequotas:GetServiceQuota"},
		{"canceled", op("Lambda", "ListFunctions", sendErr(context.Canceled)), awserr.CodeInterrupted, "lambda:ListFunctions"},
		{"deadline", op("Lambda", "ListFunctions", context.DeadlineExceeded), awserr.CodeTimeout, "lambda:ListFunctions"},
		{"net timeout", sendErr(timeoutErr{}), awserr.CodeTimeout, ""},
		{"status without a code", op("STS", "AssumeRole", resp(502, errors.New("bad gateway"))), "HTTP 502", "sts:AssumeRole"},
		{"refused", op("Lambda", "ListFunctions", sendErr(refused)), awserr.CodeUnreachable, "lambda:ListFunctions"},
		{"plain", errors.New("boom"), awserr.CodeError, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := awserr.Code(tt.err); got != tt.code {
				t.Errorf("Code = %q, want %q", got, tt.code)
			}
			if got := awserr.API(tt.err); got != tt.api {
				t.Errorf("API = %q, want %q", got, tt.api)
			}
		})
	}
}

func ExampleClassify() {
	err := &smithy.OperationError{ServiceID: "CloudWatch", OperationName: "GetMetricData", Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403}},
		Err:      &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"},
	}}
	c := awserr.Classify(err)
	fmt.Println(c, c.Retryable(), awserr.Code(err), awserr.API(err))
	// Output: access denied false AccessDenied cloudwatch:GetMetricData
}
