package sim

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// protocol is a wire protocol of an AWS service.
type protocol int

const (
	protoRestJSON protocol = iota // Lambda
	protoJSON11                   // Logs, Tagging
	protoJSON10                   // CloudWatch awsJson1.0 (query-compatible)
	protoCBOR                     // CloudWatch Smithy RPC v2 CBOR (query-compatible)
	protoQuery                    // STS, CloudWatch awsQuery
	protoEC2                      // EC2 query: awsQuery requests, its own XML
)

// apiError is an AWS error as the service returns it.
type apiError struct {
	Status int
	// Code is the error code clients see (the awsQuery code for
	// query-compatible services: "Throttling", "InvalidParameterValue").
	Code string
	// Shape is the modeled error shape name where it differs from Code
	// ("InvalidParameterValueException"); JSON/CBOR put it in __type.
	Shape   string
	Message string
	// Receiver marks a server fault.
	Receiver   bool
	RetryAfter int
	// Reason is Lambda's throttle reason field.
	Reason string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func (e *apiError) fault() string {
	if e.Receiver {
		return "Receiver"
	}
	return "Sender"
}

func (e *apiError) shape() string {
	if e.Shape != "" {
		return e.Shape
	}
	return e.Code
}

// errorKind is a protocol-independent failure the gate produces.
type errorKind int

const (
	errThrottle errorKind = iota
	errAccessDenied
	errUnrecognizedClient
	errExpiredToken
	errInternal
	errUnavailable
	errUnknownOperation
	errMissingAuth
)

// serviceError renders a failure the way each service names it.
func serviceError(svc string, k errorKind, msg string) *apiError {
	switch k {
	case errThrottle:
		switch svc {
		case svcLambda:
			return &apiError{Status: 429, Code: "TooManyRequestsException", Message: "Rate exceeded", RetryAfter: 1, Reason: "CallerRateLimitExceeded"}
		case svcLogs, svcPricing:
			return &apiError{Status: 400, Code: "ThrottlingException", Message: "Rate exceeded"}
		case svcTagging:
			return &apiError{Status: 400, Code: "ThrottledException", Message: "Rate exceeded"}
		case svcOrganizations:
			return &apiError{Status: 400, Code: "TooManyRequestsException", Message: "AWS Organizations can't complete your request because another request is already in progress. Try again later."}
		case svcEC2:
			return &apiError{Status: 503, Code: "RequestLimitExceeded", Message: "Request limit exceeded."}
		}
		return &apiError{Status: 400, Code: "Throttling", Message: "Rate exceeded"}
	case errAccessDenied:
		switch svc {
		case svcLambda:
			return &apiError{Status: 403, Code: "AccessDeniedException", Message: msg}
		case svcLogs, svcTagging, svcOrganizations, svcPricing:
			return &apiError{Status: 400, Code: "AccessDeniedException", Message: msg}
		case svcEC2:
			return &apiError{Status: 403, Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation. " + msg}
		}
		return &apiError{Status: 403, Code: "AccessDenied", Message: msg}
	case errUnrecognizedClient:
		switch svc {
		case svcLambda:
			return &apiError{Status: 403, Code: "UnrecognizedClientException", Message: msg}
		case svcLogs, svcTagging, svcOrganizations, svcPricing:
			return &apiError{Status: 400, Code: "UnrecognizedClientException", Message: msg}
		case svcEC2:
			return &apiError{Status: 401, Code: "AuthFailure", Message: "AWS was not able to validate the provided access credentials"}
		}
		return &apiError{Status: 403, Code: "InvalidClientTokenId", Message: msg}
	case errExpiredToken:
		switch svc {
		case svcLambda:
			return &apiError{Status: 403, Code: "ExpiredTokenException", Message: msg}
		case svcLogs, svcTagging, svcOrganizations, svcPricing:
			return &apiError{Status: 400, Code: "ExpiredTokenException", Message: msg}
		case svcEC2:
			return &apiError{Status: 400, Code: "RequestExpired", Message: "Request has expired."}
		}
		return &apiError{Status: 400, Code: "ExpiredToken", Message: msg}
	case errUnavailable:
		switch svc {
		case svcLambda, svcOrganizations:
			return &apiError{Status: 503, Code: "ServiceException", Message: "Service unavailable", Receiver: true}
		case svcEC2:
			return &apiError{Status: 503, Code: "Unavailable", Message: "The server is overloaded and can't handle the request.", Receiver: true}
		}
		return &apiError{Status: 503, Code: "ServiceUnavailable", Message: "Service unavailable", Receiver: true}
	case errUnknownOperation:
		switch svc {
		case svcLambda:
			return &apiError{Status: 404, Code: "UnknownOperationException", Message: msg}
		case svcLogs, svcTagging, svcCloudWatch, svcOrganizations, svcPricing:
			return &apiError{Status: 400, Code: "UnknownOperationException", Message: msg}
		}
		return &apiError{Status: 400, Code: "InvalidAction", Message: msg}
	case errMissingAuth:
		if svc == svcLambda || svc == svcLogs || svc == svcTagging || svc == svcOrganizations || svc == svcPricing {
			return &apiError{Status: 403, Code: "MissingAuthenticationTokenException", Message: msg}
		}
		return &apiError{Status: 403, Code: "MissingAuthenticationToken", Message: msg}
	}
	switch svc {
	case svcLambda, svcOrganizations:
		return &apiError{Status: 500, Code: "ServiceException", Message: "Internal error", Receiver: true}
	case svcEC2:
		return &apiError{Status: 500, Code: "InternalError", Message: "An internal error has occurred", Receiver: true}
	case svcPricing:
		return &apiError{Status: 500, Code: "InternalErrorException", Message: "Internal error", Receiver: true}
	}
	if svc == svcLogs || svc == svcTagging {
		return &apiError{Status: 500, Code: "ServiceUnavailableException", Message: "Internal error", Receiver: true}
	}
	return &apiError{Status: 500, Code: "InternalFailure", Message: "Internal error", Receiver: true}
}

// invalidParam is the validation error of each protocol family.
func invalidParam(svc, msg string) *apiError {
	switch svc {
	case svcLambda, svcLogs:
		return &apiError{Status: 400, Code: "InvalidParameterValueException", Message: msg}
	case svcCloudWatch:
		return &apiError{Status: 400, Code: "InvalidParameterValue", Shape: "InvalidParameterValueException", Message: msg}
	case svcTagging:
		return &apiError{Status: 400, Code: "InvalidParameterException", Message: msg}
	case svcOrganizations:
		return &apiError{Status: 400, Code: "InvalidInputException", Message: msg}
	case svcEC2:
		return &apiError{Status: 400, Code: "InvalidParameterValue", Message: msg}
	}
	return &apiError{Status: 400, Code: "ValidationError", Message: msg}
}

// queryXMLNS is the awsQuery response namespace of each service.
var queryXMLNS = map[string]string{
	svcSTS:        "https://sts.amazonaws.com/doc/2011-06-15/",
	svcCloudWatch: "http://monitoring.amazonaws.com/doc/2010-08-01/",
}

// writeError renders e in the protocol.
func writeError(w http.ResponseWriter, p protocol, svc, reqID string, e *apiError) {
	h := w.Header()
	h.Set("X-Amzn-Requestid", reqID)
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	switch p {
	case protoRestJSON:
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-Errortype", e.Code)
		body := map[string]string{"Type": map[bool]string{true: "Service", false: "User"}[e.Receiver], "Message": e.Message}
		if e.Reason != "" {
			body["Reason"] = e.Reason
		}
		w.WriteHeader(e.Status)
		json.NewEncoder(w).Encode(body)
	case protoJSON11, protoJSON10:
		ct := "application/x-amz-json-1.1"
		if p == protoJSON10 {
			ct = "application/x-amz-json-1.0"
			h.Set("X-Amzn-Query-Error", e.Code+";"+e.fault())
		}
		h.Set("Content-Type", ct)
		w.WriteHeader(e.Status)
		typ := e.shape()
		if p == protoJSON10 {
			typ = "com.amazonaws.cloudwatch#" + typ
		}
		json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": e.Message})
	case protoEC2:
		// EC2 has its own error envelope (aws/protocol/ec2query):
		// Response > Errors > Error > Code, Message; RequestID.
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(e.Status)
		type xerr struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		type resp struct {
			XMLName   xml.Name `xml:"Response"`
			Errors    []xerr   `xml:"Errors>Error"`
			RequestID string   `xml:"RequestID"`
		}
		out, _ := xml.Marshal(resp{Errors: []xerr{{e.Code, e.Message}}, RequestID: reqID})
		fmt.Fprintf(w, "%s%s\n", xml.Header, out)
	case protoCBOR:
		h.Set("Content-Type", "application/cbor")
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
		h.Set("X-Amzn-Query-Error", e.Code+";"+e.fault())
		w.WriteHeader(e.Status)
		b, _ := cbor.Marshal(map[string]string{"__type": "com.amazonaws.cloudwatch#" + e.shape(), "message": e.Message})
		w.Write(b)
	default:
		h.Set("Content-Type", "text/xml")
		w.WriteHeader(e.Status)
		type xerr struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		type resp struct {
			XMLName   xml.Name `xml:"ErrorResponse"`
			XMLNS     string   `xml:"xmlns,attr,omitempty"`
			Error     xerr     `xml:"Error"`
			RequestID string   `xml:"RequestId"`
		}
		out, _ := xml.Marshal(resp{XMLNS: queryXMLNS[svc], Error: xerr{e.fault(), e.Code, e.Message}, RequestID: reqID})
		fmt.Fprintf(w, "%s%s\n", xml.Header, out)
	}
}

// writeJSON writes a successful JSON answer of content type ct. HTML
// escaping is off: AWS sends '<', '>' and '&' in names as they are.
func writeJSON(w http.ResponseWriter, c *call, ct string, out any) {
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Amzn-Requestid", c.reqID)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(out)
}

// jsonRequest reads an awsJson request for one of ops: the operation from
// X-Amz-Target after prefix, the body (if any) decoded into req. On a bad
// request it answers with the AWS error itself and reports false.
func (s *Server) jsonRequest(w http.ResponseWriter, r *http.Request, c *call, prefix, service string, req any, ops ...string) bool {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, prefix)
	if r.Method != http.MethodPost || !ok {
		s.fail(w, c, serviceError(c.svc, errUnknownOperation, "missing or unknown X-Amz-Target "+strconv.Quote(target)))
		return false
	}
	if !slices.Contains(ops, op) {
		s.fail(w, c, serviceError(c.svc, errUnknownOperation, "the simulator does not serve "+service+" "+op))
		return false
	}
	c.api = op
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, c, &apiError{Status: 413, Code: "RequestEntityTooLargeException", Message: "request body too large"})
			return false
		}
		s.fail(w, c, &apiError{Status: 400, Code: "SerializationException", Message: "cannot read the request body"})
		return false
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, req); err != nil {
			s.fail(w, c, &apiError{Status: 400, Code: "SerializationException", Message: "cannot parse the JSON request: " + err.Error()})
			return false
		}
	}
	return true
}

// formRequest reads an awsQuery request's form (GET or POST). On a bad
// request it answers with the service's error (malformed is its code for
// an unparsable form) and reports false.
func (s *Server) formRequest(w http.ResponseWriter, r *http.Request, c *call, service, malformed string) (url.Values, bool) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		s.fail(w, c, serviceError(c.svc, errUnknownOperation, service+" accepts GET and POST"))
		return nil, false
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, c, &apiError{Status: 413, Code: "RequestEntityTooLarge", Message: "Request body too large"})
			return nil, false
		}
		s.fail(w, c, &apiError{Status: 400, Code: malformed, Message: "The request body is not a valid form: " + err.Error()})
		return nil, false
	}
	return r.Form, true
}
