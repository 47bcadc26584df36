package sim

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"time"
)

// Organizations constants (botocore organizations 2016-11-28
// service-2.json, the ListAccounts reference).
const (
	orgTargetPrefix = "AWSOrganizationsV20161128."
	orgPageMax      = 20
)

type orgAccount struct {
	ID              string  `json:"Id"`
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email"`
	Name            string  `json:"Name"`
	Status          string  `json:"Status"`
	State           string  `json:"State"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
}

// serveOrganizations serves Organizations' ListAccounts (awsJson1.1).
//
// The fleet is one organization whose management account is the fleet's
// first account (the simulator's default principal): only callers in that
// account may list it (others get AccessDeniedException, as member
// accounts do on AWS), and a fleet of one account is not an organization
// at all (AWSOrganizationsNotInUseException). Every account is ACTIVE; the
// fleet spec has no account states.
func (s *Server) serveOrganizations(w http.ResponseWriter, r *http.Request, c *call) {
	var req struct {
		MaxResults *int64  `json:"MaxResults"`
		NextToken  *string `json:"NextToken"`
	}
	if !s.jsonRequest(w, r, c, orgTargetPrefix, "Organizations", &req, "ListAccounts") {
		return
	}
	if e := s.admit(r.Context(), c); e != nil {
		s.fail(w, c, e)
		return
	}
	out, e := s.listAccounts(c, req.MaxResults, req.NextToken)
	if e != nil {
		s.fail(w, c, e)
		return
	}
	s.succeed(c, nil)
	writeJSON(w, c, "application/x-amz-json-1.1", out)
}

func (s *Server) listAccounts(c *call, maxResults *int64, nextToken *string) (any, *apiError) {
	accounts := s.fleet.Accounts
	mgmt := accounts[0].ID
	switch {
	case len(accounts) == 1:
		return nil, &apiError{Status: 400, Code: "AWSOrganizationsNotInUseException", Message: "Your account is not a member of an organization."}
	case c.account != mgmt:
		return nil, serviceError(c.svc, errAccessDenied, "You don't have permissions to access this resource.")
	}
	limit := int64(orgPageMax)
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > orgPageMax {
			return nil, invalidParam(svcOrganizations, fmt.Sprintf("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", *maxResults, orgPageMax))
		}
		limit = *maxResults
	}
	scope := "ListAccounts/" + c.account
	from := 0
	if nextToken != nil && *nextToken != "" {
		n, ok := decodeTaggingToken(scope, *nextToken)
		if !ok || n >= len(accounts) {
			return nil, invalidParam(svcOrganizations, "You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API.")
		}
		from = n
	}
	org := orgID(s.fleet.Seed, mgmt)
	out := struct {
		Accounts  []orgAccount `json:"Accounts"`
		NextToken string       `json:"NextToken,omitempty"`
	}{Accounts: []orgAccount{}}
	for i := from; i < len(accounts); i++ {
		if int64(len(out.Accounts)) == limit {
			out.NextToken = encodeTaggingToken(scope, i)
			break
		}
		a := accounts[i]
		name, method := a.Name, "CREATED"
		if name == "" {
			name = "account-" + a.ID
		}
		if i == 0 {
			method = "INVITED" // the management account created the organization
		}
		joined := s.fleet.Anchor.Add(-time.Duration(400-i) * 24 * time.Hour)
		out.Accounts = append(out.Accounts, orgAccount{
			ID: a.ID, Arn: fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", mgmt, org, a.ID),
			Email: name + "@example.com", Name: name, Status: "ACTIVE", State: "ACTIVE",
			JoinedMethod: method, JoinedTimestamp: float64(joined.Unix()),
		})
	}
	return out, nil
}

// orgID is the simulated organization's ID: "o-" and 10 lower-case
// letters and digits derived from the seed and the management account.
func orgID(seed int64, mgmt string) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", seed, mgmt)
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	v := h.Sum64()
	b := []byte("o-")
	for range 10 {
		b = append(b, alphabet[v%uint64(len(alphabet))])
		v /= uint64(len(alphabet))
	}
	return string(b)
}
