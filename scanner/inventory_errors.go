package scanner

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/lambdaudit/lambdaudit/awserr"
)

// Why an account or an account × region could not be scanned. A
// *TargetError wraps one of them (errors.Is) beside the SDK's error.
var (
	ErrAccessDenied = errors.New("access denied")
	// ErrRegionDisabled: a regional service refused the account's valid
	// credentials, which is how AWS answers in an opt-in region the
	// account has not enabled.
	ErrRegionDisabled     = errors.New("region not enabled for the account (the security token is not valid there)")
	ErrThrottled          = errors.New("throttled past retries")
	ErrExpiredCredentials = errors.New("credentials expired")
	ErrInvalidCredentials = errors.New("credentials not valid")
	ErrUnreachable        = errors.New("endpoint unreachable")
)

// TargetError is the failure of one account (Region empty) or one
// account × region: which call failed, and why.
type TargetError struct {
	Account string
	Region  string
	// Op is the failed call, e.g. "sts:AssumeRole arn:aws:iam::…" or
	// "lambda:ListFunctions".
	Op  string
	Err error
}

func (e *TargetError) Error() string {
	where := "account " + e.Account
	if e.Region != "" {
		where = e.Account + "/" + e.Region
	}
	return fmt.Sprintf("%s: %s: %v", where, e.Op, e.Err)
}

func (e *TargetError) Unwrap() error { return e.Err }

// kinds are the reasons a TargetError can wrap, in the order Reason
// looks for them.
var kinds = []error{ErrAccessDenied, ErrRegionDisabled, ErrThrottled, ErrExpiredCredentials, ErrInvalidCredentials, ErrUnreachable}

// Reason is the failure in one line for a report, without the SDK's
// request details: the call, the kind, and AWS's error code and message
// (or, for a request that never got an answer, the transport's error).
func (e *TargetError) Reason() string {
	r := e.Op
	for _, k := range kinds {
		if errors.Is(e.Err, k) {
			r += ": " + k.Error()
			break
		}
	}
	var ae smithy.APIError
	var send *smithyhttp.RequestSendError
	switch {
	case errors.As(e.Err, &ae):
		return r + ": " + ae.ErrorCode() + ": " + ae.ErrorMessage()
	case errors.As(e.Err, &send) && send.Err != nil:
		return r + ": " + send.Err.Error()
	}
	return r + ": " + e.Err.Error()
}

// kindOf names what an SDK error means for a target, by awserr's class.
// regional is true for calls to a regional service (Lambda, Tagging,
// EC2), where a token the service does not recognise means the region
// is not enabled; for STS it means the credentials are not valid.
func kindOf(err error, regional bool) error {
	switch awserr.Classify(err) {
	case awserr.AccessDenied:
		// A bare 403 is AccessDenied to awserr; the scan's kinds have
		// always asked for AWS's code.
		if awserr.Code(err) == awserr.CodeHTTP+"403" {
			return nil
		}
		return ErrAccessDenied
	case awserr.Credentials:
		switch awserr.Code(err) {
		case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
			return ErrExpiredCredentials
		case "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure":
			if regional {
				return ErrRegionDisabled
			}
		}
		return ErrInvalidCredentials
	case awserr.Throttle:
		return ErrThrottled
	}
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		return ErrUnreachable
	}
	return nil
}

// describe wraps an SDK error with its kind, when it has one.
func describe(err error, regional bool) error {
	if k := kindOf(err, regional); k != nil {
		return fmt.Errorf("%w: %w", k, err)
	}
	return err
}
