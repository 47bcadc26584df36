package scanner

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/lambdaudit/lambdaudit/awserr"
	"github.com/lambdaudit/lambdaudit/logstats"
)

// Cause is a failure normalised for grouping: what went wrong (Code),
// in which call (API) and where. Two failures with the same Cause are
// one problem however many functions, batches or retries it touched; a
// Cause carries no request ID, batch text or HTTP detail (Failure.Detail
// and Target.Error keep those).
type Cause struct {
	// Code is AWS's error code (AccessDenied, ThrottlingException, …),
	// or one of lambdaudit's own: CodeInterrupted, CodeUnreachable,
	// CodeTimeout, CodeHTTP+status, CodeError.
	Code string `json:"code"`
	// API is the call as IAM names it, "service:Operation"
	// (cloudwatch:GetMetricData, logs:StartQuery); empty when the failure
	// was not an AWS call's.
	API     string `json:"api,omitempty"`
	Account string `json:"account"`
	// Region is empty for an account-wide failure (sts:AssumeRole).
	Region string `json:"region,omitempty"`
}

// lambdaudit's own codes, for failures without an AWS error code
// (awserr owns them; these names keep the scanner's API).
const (
	// CodeInterrupted: the scan was cancelled (signal or --timeout)
	// before this finished.
	CodeInterrupted = awserr.CodeInterrupted
	// CodeUnreachable: the request never got an answer (DNS, refused or
	// reset connection).
	CodeUnreachable = awserr.CodeUnreachable
	// CodeTimeout: the request timed out.
	CodeTimeout = awserr.CodeTimeout
	// CodeHTTP prefixes an HTTP status that came without an AWS error
	// code ("HTTP 502").
	CodeHTTP = awserr.CodeHTTP
	// CodeError: anything else (the detail says what).
	CodeError = awserr.CodeError
)

// Reason is the cause without its place: "AccessDenied
// cloudwatch:GetMetricData", or "interrupted" alone.
func (c Cause) Reason() string {
	if c.API == "" {
		return c.Code
	}
	return c.Code + " " + c.API
}

// Where is "111111111111/eu-west-1", or the account alone.
func (c Cause) Where() string {
	if c.Region == "" {
		return c.Account
	}
	return c.Account + "/" + c.Region
}

// String is the cause as coverage.reasons keys it: "AccessDenied
// cloudwatch:GetMetricData in 111111111111/eu-west-1".
func (c Cause) String() string {
	if w := c.Where(); w != "" {
		return c.Reason() + " in " + w
	}
	return c.Reason()
}

// normalise is the code and the API of an error from an AWS call (or
// from the scan around it): awserr's Code and API, except that a Logs
// Insights query that ended Failed, Timeout or Cancelled is
// "Query"+status in logs:GetQueryResults.
func normalise(err error) (code, api string) {
	api = awserr.API(err)
	var qe *logstats.QueryError
	switch {
	case errors.Is(err, context.Canceled):
		return CodeInterrupted, api
	case errors.As(err, &qe):
		return "Query" + qe.Status, "logs:GetQueryResults"
	}
	return awserr.Code(err), api
}

// Patterns of the texts the scan only gets as strings (the fanout
// ledger's reasons, the metrics package's per-query statuses): the
// SDK's error format and GetMetricData's status.
var (
	reOperation = regexp.MustCompile(`operation error ([^:,]+): (\w+)`)
	reAPICode   = regexp.MustCompile(`api error ([A-Za-z0-9_.]+):`)
	reStatus    = regexp.MustCompile(`StatusCode: (\d{3})`)
	reGMDStatus = regexp.MustCompile(`GetMetricData status (\w+|\(none\))`)
	// reCodeAPI: a reason already normalised, "AccessDeniedException
	// logs:StartQuery …" (logstats.ReasonLogGroupDenied).
	reCodeAPI = regexp.MustCompile(`^([A-Za-z0-9_.]+) ([a-z0-9-]+:[A-Za-z0-9]+)\b`)
)

// normaliseText is normalise for a failure known only by its text.
func normaliseText(s string) (code, api string) {
	if m := reOperation.FindStringSubmatch(s); m != nil {
		api = awserr.APIName(m[1], m[2])
	}
	switch m := reGMDStatus.FindStringSubmatch(s); {
	case m != nil:
		return m[1], "cloudwatch:GetMetricData"
	}
	if m := reAPICode.FindStringSubmatch(s); m != nil {
		return m[1], api
	}
	switch {
	case strings.Contains(s, context.Canceled.Error()):
		return CodeInterrupted, api
	case strings.Contains(s, context.DeadlineExceeded.Error()), strings.Contains(s, "timeout"):
		return CodeTimeout, api
	}
	if m := reStatus.FindStringSubmatch(s); m != nil {
		return CodeHTTP + m[1], api
	}
	if strings.Contains(s, "request send failed") || strings.Contains(s, "connection refused") || strings.Contains(s, "no such host") {
		return CodeUnreachable, api
	}
	return CodeError, api
}

// failureOf is a function's failure at a stage from an error.
func failureOf(stage string, err error) Failure {
	code, api := normalise(err)
	return Failure{Stage: stage, Code: code, API: api, Reason: Cause{Code: code, API: api}.Reason(), Detail: detail(err)}
}

// failureText is a function's failure at a stage known by its text.
func failureText(stage, s string) Failure {
	code, api := normaliseText(s)
	return Failure{Stage: stage, Code: code, API: api, Reason: Cause{Code: code, API: api}.Reason(), Detail: s}
}

// interrupted is the failure of a stage the scan did not finish.
func interrupted(stage string, err error) Failure {
	d := CodeInterrupted
	if err != nil {
		d = detail(err)
	}
	return Failure{Stage: stage, Code: CodeInterrupted, Reason: CodeInterrupted, Detail: d}
}

// detail is an error in full, as the scan result keeps it.
func detail(err error) string {
	var te *TargetError
	if errors.As(err, &te) {
		return te.Reason()
	}
	return err.Error()
}
