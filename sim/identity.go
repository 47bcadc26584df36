package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Credentials the simulator accepts for its default principal, a user in
// the fleet's first account (the management account).
const (
	AccessKeyID     = "AKIALAMBDAUDITSIM001"
	SecretAccessKey = "lambdaudit-simulator-secret-access-key"
)

// principal is who signed a request.
type principal struct {
	AccessKey string
	Account   string
	ARN       string
	UserID    string
	// Expires is zero for long-term keys.
	Expires time.Time
	Session string
}

// credStore maps access keys to principals; AssumeRole adds to it.
type credStore struct {
	mu   sync.Mutex
	keys map[string]*principal
	n    int
}

func newCredStore(account string) *credStore {
	return &credStore{keys: map[string]*principal{
		AccessKeyID: {
			AccessKey: AccessKeyID,
			Account:   account,
			ARN:       "arn:aws:iam::" + account + ":user/lambdaudit",
			UserID:    "AIDALAMBDAUDITSIMUSER",
		},
	}}
}

func (c *credStore) lookup(key string) *principal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.keys[key]
}

// issue creates session credentials for an assumed role.
func (c *credStore) issue(account, roleName, session string, expires time.Time) (p *principal, secret, token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%s/%d", account, roleName, session, c.n))
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	roleID := "AROA" + h[:17]
	p = &principal{
		AccessKey: "ASIA" + h[:16],
		Account:   account,
		ARN:       fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, roleName, session),
		UserID:    roleID + ":" + session,
		Expires:   expires,
		Session:   session,
	}
	c.keys[p.AccessKey] = p
	return p, strings.ToLower(h[16:56]), "IQoJsim" + h
}

// sigScope is what a SigV4 Authorization header says about a request.
type sigScope struct {
	AccessKey, Date, Region, Service string
}

// parseAuth reads "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/lambda/aws4_request, ...".
// The signature itself is not verified (the simulator has no secrets to
// protect); the scope decides the account, region and service.
func parseAuth(r *http.Request) (sigScope, bool) {
	h := r.Header.Get("Authorization")
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(h, algo) {
		return sigScope{}, false
	}
	for _, part := range strings.Split(h[len(algo):], ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "Credential="); ok {
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return sigScope{}, false
			}
			return sigScope{AccessKey: f[0], Date: f[1], Region: f[2], Service: f[3]}, true
		}
	}
	return sigScope{}, false
}

// guessService names the service of an unsigned request from its shape,
// so even a refusal is written in the right protocol.
func guessService(r *http.Request) string {
	t := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(t, "Logs_20140328."):
		return svcLogs
	case strings.HasPrefix(t, "GraniteServiceVersion20100801."):
		return svcCloudWatch
	case strings.HasPrefix(t, "ResourceGroupsTaggingAPI_20170126."):
		return svcTagging
	case strings.HasPrefix(t, orgTargetPrefix):
		return svcOrganizations
	case strings.HasPrefix(t, pricingTargetPrefix):
		return svcPricing
	case strings.HasPrefix(r.URL.Path, "/service/GraniteServiceVersion20100801/"):
		return svcCloudWatch
	case strings.HasPrefix(r.URL.Path, "/20"):
		return svcLambda
	}
	return svcSTS // form-encoded query: STS and CloudWatch look alike
}

// Service names as they appear in SigV4 scopes.
const (
	svcLambda        = "lambda"
	svcCloudWatch    = "monitoring"
	svcLogs          = "logs"
	svcSTS           = "sts"
	svcTagging       = "tagging"
	svcEC2           = "ec2"
	svcOrganizations = "organizations"
	svcPricing       = "pricing"
)
