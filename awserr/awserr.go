// Package awserr owns the classification of AWS API errors: what an error
// from an aws-sdk-go-v2 call (or from the transport under it) means for
// whoever handles it — wait and retry (Throttle, Transient), give up at
// once (AccessDenied, Credentials, NotFound, Permanent, Canceled) — and
// the code it is reported by (Code) and the call it came from (API).
//
// It reads the SDK's own tables (aws/retry: DefaultThrottles,
// DefaultRetryables, DefaultTimeouts) and smithy-go's APIError, so the
// rate limiters, the work pool, the inventory and the scan's reports
// agree with the SDK's retryer on what a throttle or a transient error
// is. It logs nothing and keeps no state.
package awserr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Class is what an error means for the code that handles it.
type Class int

// The classes, in the order Classify tests them.
const (
	// None: no error.
	None Class = iota
	// Canceled: the caller's context was cancelled.
	Canceled
	// Throttle: AWS refused the call for its rate (a throttling error
	// code of the SDK's list, or HTTP 429): slow down and retry.
	Throttle
	// AccessDenied: IAM or an SCP refused the call.
	AccessDenied
	// Credentials: the credentials are not valid, not recognised in the
	// region, or expired.
	Credentials
	// NotFound: the resource does not exist.
	NotFound
	// Transient: a server error (5xx), a timeout or a connection that
	// failed; retrying may work.
	Transient
	// Permanent: AWS answered that the request itself is wrong (a
	// validation error, another 4xx): retrying as is cannot work.
	Permanent
	// Unknown: nothing says; callers retry it as they would a transient
	// error, within their attempt bound.
	Unknown
)

var classNames = [...]string{"none", "canceled", "throttle", "access denied", "credentials", "not found", "transient", "permanent", "unknown"}

func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return fmt.Sprintf("Class(%d)", int(c))
	}
	return classNames[c]
}

// Retryable reports whether trying again may succeed: Throttle,
// Transient and Unknown.
func (c Class) Retryable() bool {
	return c == Throttle || c == Transient || c == Unknown
}

// Error codes by class, beyond the SDK's lists (aws/retry), as AWS
// services spell them.
var (
	accessDeniedCodes = set("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError")
	credentialsCodes  = set("UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure",
		"SignatureDoesNotMatch", "IncompleteSignature", "InvalidAccessKeyId", "MissingAuthenticationToken",
		"MissingAuthenticationTokenException", "ExpiredToken", "ExpiredTokenException", "RequestExpired")
	notFoundCodes  = set("ResourceNotFoundException", "NotFoundException", "NoSuchEntity", "NoSuchKey", "NoSuchBucket", "NotFound")
	badRequestCode = set("InvalidParameterValue", "InvalidParameterCombination", "ValidationException",
		"MalformedQueryException", "InvalidParameterException", "InvalidParameterValueException", "MissingParameter")
	// transientCodes are server-side failures AWS reports with a code,
	// sometimes without a 5xx status the SDK would see.
	transientCodes = set("InternalFailure", "InternalError", "InternalServerError", "InternalServiceError",
		"InternalServiceException", "ServiceUnavailable", "ServiceUnavailableException", "ServiceException")
)

func set(codes ...string) map[string]bool {
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m
}

var (
	throttles  = retry.IsErrorThrottles(retry.DefaultThrottles)
	retryables = retry.IsErrorRetryables(retry.DefaultRetryables)
	timeouts   = retry.IsErrorTimeouts(retry.DefaultTimeouts)
)

// Classify is what err means for its handler.
func Classify(err error) Class {
	if err == nil {
		return None
	}
	if errors.Is(err, context.Canceled) {
		return Canceled
	}
	if throttles.IsErrorThrottle(err) == aws.TrueTernary {
		return Throttle
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch code := ae.ErrorCode(); {
		case accessDeniedCodes[code]:
			return AccessDenied
		case credentialsCodes[code]:
			return Credentials
		case notFoundCodes[code]:
			return NotFound
		case badRequestCode[code]:
			return Permanent
		case transientCodes[code]:
			return Transient
		}
	}
	switch status(err) {
	case http.StatusTooManyRequests:
		return Throttle
	case http.StatusForbidden:
		return AccessDenied
	case http.StatusNotFound:
		return NotFound
	}
	if isTimeout(err) || retryables.IsErrorRetryable(err) == aws.TrueTernary {
		return Transient
	}
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		return Transient
	}
	if s := status(err); s >= 400 && s < 500 {
		return Permanent
	}
	if s := status(err); s >= 500 {
		return Transient
	}
	return Unknown
}

// IsThrottle reports whether err is AWS throttling a call.
func IsThrottle(err error) bool { return Classify(err) == Throttle }

// status is the HTTP status of the response err came with, 0 if none.
func status(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// isTimeout: the call, an attempt or the connection timed out.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) ||
		timeouts.IsErrorTimeout(err) == aws.TrueTernary ||
		errors.As(err, &ne) && ne.Timeout()
}

// lambdaudit's own codes, for failures without an AWS error code.
const (
	// CodeInterrupted: the work was cancelled (signal or --timeout)
	// before it finished.
	CodeInterrupted = "interrupted"
	// CodeUnreachable: the request never got an answer (DNS, refused or
	// reset connection).
	CodeUnreachable = "Unreachable"
	// CodeTimeout: the request timed out.
	CodeTimeout = "Timeout"
	// CodeHTTP prefixes an HTTP status that came without an AWS error
	// code ("HTTP 502").
	CodeHTTP = "HTTP "
	// CodeError: anything else (the error's text says what).
	CodeError = "Error"
	// CodeThrottling: a throttle known by the SDK's reading, without
	// an error code of its own.
	CodeThrottling = "Throttling"
)

// Code is the code a failure is reported and grouped by: AWS's error
// code when AWS answered (smithy.APIError), the SDK's own reading of
// throttles and timeouts (aws/retry) when it did not, then the
// transport's failure, else CodeError.
func Code(err error) string {
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	var send *smithyhttp.RequestSendError
	switch {
	case errors.Is(err, context.Canceled):
		return CodeInterrupted
	case errors.As(err, &ae) && ae.ErrorCode() != "":
		return ae.ErrorCode()
	case throttles.IsErrorThrottle(err) == aws.TrueTernary:
		return CodeThrottling
	case isTimeout(err):
		return CodeTimeout
	case errors.As(err, &re) && re.HTTPStatusCode() != 0:
		return fmt.Sprintf("%s%d", CodeHTTP, re.HTTPStatusCode())
	case errors.As(err, &send):
		return CodeUnreachable
	}
	return CodeError
}

// API is the call err came from as IAM names it, "service:Operation"
// (cloudwatch:GetMetricData), or "" when err is no SDK operation's.
func API(err error) string {
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		return APIName(oe.ServiceID, oe.OperationName)
	}
	return ""
}

// iamPrefixes maps the SDK's service IDs to the prefix IAM (and so an
// AccessDenied message) names the service by.
var iamPrefixes = map[string]string{
	"CloudWatch":                  "cloudwatch",
	"CloudWatch Logs":             "logs",
	"Lambda":                      "lambda",
	"STS":                         "sts",
	"Resource Groups Tagging API": "tag",
	"Organizations":               "organizations",
	"EC2":                         "ec2",
	"Pricing":                     "pricing",
	"S3":                          "s3",
	"SQS":                         "sqs",
}

// APIName is "cloudwatch:GetMetricData" for an SDK service ID
// ("CloudWatch") and an operation name.
func APIName(serviceID, op string) string {
	p, ok := iamPrefixes[serviceID]
	if !ok {
		p = strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
	}
	return p + ":" + op
}
