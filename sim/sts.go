package sim

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// STS limits (botocore sts/2011-06-15 service-2.json).
const (
	stsVersion         = "2011-06-15"
	stsDefaultDuration = 3600
	stsMinDuration     = 900
	stsMaxDuration     = 43200
	// stsChainedMax is the session limit of a role assumed with role
	// credentials (role chaining).
	stsChainedMax = 3600
)

var (
	// roleARNRe: arn:aws:iam::<account>:role/<path/><name>.
	roleARNRe      = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)
	sessionNameRe  = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDRe   = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	stsArnTypeChar = regexp.MustCompile(`^[\t\n\r\x20-\x7e\x{85}\x{a0}-\x{d7ff}\x{e000}-\x{fffd}\x{10000}-\x{10ffff}]+$`)
)

type stsMetadata struct {
	RequestID string `xml:"RequestId"`
}

type stsCallerIdentity struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	XMLNS   string   `xml:"xmlns,attr"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	Metadata stsMetadata `xml:"ResponseMetadata"`
}

type stsAssumeRole struct {
	XMLName xml.Name `xml:"AssumeRoleResponse"`
	XMLNS   string   `xml:"xmlns,attr"`
	Result  struct {
		AssumedRoleUser struct {
			Arn           string `xml:"Arn"`
			AssumedRoleID string `xml:"AssumedRoleId"`
		} `xml:"AssumedRoleUser"`
		Credentials struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
			Expiration      string `xml:"Expiration"`
		} `xml:"Credentials"`
	} `xml:"AssumeRoleResult"`
	Metadata stsMetadata `xml:"ResponseMetadata"`
}

func stsValidation(msg string) *apiError {
	return &apiError{Status: 400, Code: "ValidationError", Message: msg}
}

// stsConstraint is the message of a value that breaks a modeled constraint.
func stsConstraint(value, member, constraint string) *apiError {
	return stsValidation(fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint))
}

func stsMissing(member string) *apiError {
	return stsValidation(fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member))
}

// serveSTS serves STS (awsQuery): GetCallerIdentity and AssumeRole. STS
// is global, but the SDK signs with a region: the call keeps it.
func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request, c *call) {
	form, ok := s.formRequest(w, r, c, "STS", "MalformedInput")
	if !ok {
		return
	}
	action := form.Get("Action")
	switch action {
	case "":
		s.fail(w, c, &apiError{Status: 400, Code: "MissingAction", Message: "Missing Action"})
		return
	case "GetCallerIdentity", "AssumeRole":
	default:
		s.fail(w, c, serviceError(c.svc, errUnknownOperation, fmt.Sprintf("Could not find operation %s for version %s", action, stsVersion)))
		return
	}
	if v := form.Get("Version"); v != "" && v != stsVersion {
		s.fail(w, c, serviceError(c.svc, errUnknownOperation, fmt.Sprintf("Could not find operation %s for version %s", action, v)))
		return
	}
	c.api = action
	if e := s.admit(r.Context(), c); e != nil {
		s.fail(w, c, e)
		return
	}
	var out any
	switch action {
	case "GetCallerIdentity":
		o := &stsCallerIdentity{XMLNS: queryXMLNS[svcSTS]}
		o.Result.Arn, o.Result.UserID, o.Result.Account = c.who.ARN, c.who.UserID, c.who.Account
		o.Metadata.RequestID = c.reqID
		out = o
	case "AssumeRole":
		o, e := s.assumeRole(c, form.Get, form.Has)
		if e != nil {
			s.fail(w, c, e)
			return
		}
		out = o
	}
	s.succeed(c, nil)
	b, err := xml.Marshal(out)
	if err != nil {
		s.fail(w, c, serviceError(c.svc, errInternal, ""))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amzn-Requestid", c.reqID)
	w.Write(b)
}

func (s *Server) assumeRole(c *call, get func(string) string, has func(string) bool) (*stsAssumeRole, *apiError) {
	roleARN, session := get("RoleArn"), get("RoleSessionName")
	switch {
	case !has("RoleArn"):
		return nil, stsMissing("roleArn")
	case !has("RoleSessionName"):
		return nil, stsMissing("roleSessionName")
	case len(roleARN) < 20:
		return nil, stsConstraint(roleARN, "roleArn", "Member must have length greater than or equal to 20")
	case len(roleARN) > 2048:
		return nil, stsConstraint(roleARN, "roleArn", "Member must have length less than or equal to 2048")
	case !stsArnTypeChar.MatchString(roleARN):
		return nil, stsConstraint(roleARN, "roleArn", "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+")
	case !sessionNameRe.MatchString(session):
		if len(session) < 2 {
			return nil, stsConstraint(session, "roleSessionName", "Member must have length greater than or equal to 2")
		}
		if len(session) > 64 {
			return nil, stsConstraint(session, "roleSessionName", "Member must have length less than or equal to 64")
		}
		return nil, stsConstraint(session, "roleSessionName", "Member must satisfy regular expression pattern: [\\w+=,.@-]*")
	}
	duration := stsDefaultDuration
	if has("DurationSeconds") {
		v := get("DurationSeconds")
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			return nil, stsValidation(fmt.Sprintf("Value '%s' for parameter DurationSeconds is invalid. It must be an integer.", v))
		case n < stsMinDuration:
			return nil, stsConstraint(v, "durationSeconds", fmt.Sprintf("Member must have value greater than or equal to %d", stsMinDuration))
		case n > stsMaxDuration:
			return nil, stsConstraint(v, "durationSeconds", fmt.Sprintf("Member must have value less than or equal to %d", stsMaxDuration))
		}
		duration = n
	}
	extID, hasExt := get("ExternalId"), has("ExternalId")
	if hasExt && (len(extID) < 2 || len(extID) > 1224 || !externalIDRe.MatchString(extID)) {
		return nil, stsConstraint(extID, "externalId", "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]* and have length between 2 and 1224")
	}
	m := roleARNRe.FindStringSubmatch(roleARN)
	if m == nil {
		return nil, stsValidation(fmt.Sprintf("%s is invalid", roleARN))
	}
	account, roleName := s.fleet.Account(m[1]), m[2]
	denied := &apiError{Status: 403, Code: "AccessDenied", Message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.who.ARN, roleARN)}
	switch {
	case account == nil, roleName != account.RoleName:
		return nil, denied
	case account.ExternalID != "" && extID != account.ExternalID:
		return nil, denied
	}
	if c.who.Session != "" && duration > stsChainedMax {
		return nil, stsValidation(fmt.Sprintf("The requested DurationSeconds exceeds the %d hour session limit for roles assumed by role chaining.", stsChainedMax/3600))
	}
	expires := c.now.Add(time.Duration(duration) * time.Second).UTC()
	p, secret, token := s.creds.issue(account.ID, roleName, session, expires)
	o := &stsAssumeRole{XMLNS: queryXMLNS[svcSTS]}
	o.Result.AssumedRoleUser.Arn, o.Result.AssumedRoleUser.AssumedRoleID = p.ARN, p.UserID
	cr := &o.Result.Credentials
	cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken = p.AccessKey, secret, token
	cr.Expiration = expires.Format("2006-01-02T15:04:05Z")
	o.Metadata.RequestID = c.reqID
	return o, nil
}
