package scanner_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

func TestTargetsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    scanner.Targets
		// bad lists the inputs ("input value") the error must name.
		bad []string
	}{
		{name: "zero value", t: scanner.Targets{}},
		{name: "everything", t: scanner.Targets{Regions: []string{"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"}, Accounts: []string{"111111111111", "222222222222"},
			Role: "LambdauditReadOnly", ExternalID: "ext-123:abc", SessionName: "lambdaudit-nightly", RoleDuration: 2 * time.Hour}},
		{name: "all and all", t: scanner.Targets{Regions: []string{"all"}, Accounts: []string{"all"}, Role: "arn:aws:iam::{account}:role/ops/LambdauditReadOnly"}},
		{name: "role name with a path", t: scanner.Targets{Role: "ops/LambdauditReadOnly"}},
		{name: "template in another partition", t: scanner.Targets{Role: "arn:aws-cn:iam::{account}:role/LambdauditReadOnly"}},
		{name: "misspelt region", t: scanner.Targets{Regions: []string{"us-east-1", "us-eats-1x"}}, bad: []string{`regions "us-eats-1x"`}},
		{name: "upper-case region", t: scanner.Targets{Regions: []string{"US-EAST-1"}}, bad: []string{`regions "US-EAST-1"`}},
		{name: "all with other regions", t: scanner.Targets{Regions: []string{"all", "us-east-1"}}, bad: []string{`regions "all"`}},
		{name: "short account", t: scanner.Targets{Accounts: []string{"11111111111"}}, bad: []string{`accounts "11111111111"`}},
		{name: "account with letters", t: scanner.Targets{Accounts: []string{"1111-2222-3333"}}, bad: []string{`accounts "1111-2222-3333"`}},
		{name: "all with other accounts", t: scanner.Targets{Accounts: []string{"111111111111", "all"}}, bad: []string{`accounts "all"`}},
		{name: "template without the placeholder", t: scanner.Targets{Role: "arn:aws:iam::111111111111:role/LambdauditReadOnly"}, bad: []string{`role "arn:aws:iam::111111111111:role/LambdauditReadOnly"`, "{account}"}},
		{name: "misspelt placeholder", t: scanner.Targets{Role: "arn:aws:iam::{acount}:role/x"}, bad: []string{`role "arn:aws:iam::{acount}:role/x"`}},
		{name: "unknown placeholder", t: scanner.Targets{Role: "arn:aws:iam::{account}:role/{team}"}, bad: []string{"unknown placeholder {team}"}},
		{name: "template of a user", t: scanner.Targets{Role: "arn:aws:iam::{account}:user/lambdaudit"}, bad: []string{"malformed role ARN template"}},
		{name: "template of another service", t: scanner.Targets{Role: "arn:aws:sts::{account}:role/x"}, bad: []string{"malformed role ARN template"}},
		{name: "role name with a space", t: scanner.Targets{Role: "Lambdaudit ReadOnly"}, bad: []string{`role "Lambdaudit ReadOnly"`}},
		{name: "external id too short", t: scanner.Targets{ExternalID: "x"}, bad: []string{`externalId "x"`}},
		{name: "session name with a space", t: scanner.Targets{SessionName: "lambda audit"}, bad: []string{`sessionName "lambda audit"`}},
		{name: "role session too short", t: scanner.Targets{RoleDuration: 5 * time.Minute}, bad: []string{`roleDuration "5m0s"`}},
		{name: "every problem at once", t: scanner.Targets{Regions: []string{"moon-1"}, Accounts: []string{"42"}, Role: "a b"},
			bad: []string{`regions "moon-1"`, `accounts "42"`, `role "a b"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.t.Validate()
			if len(tc.bad) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ie *scanner.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			for _, want := range tc.bad {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
		})
	}
}

func TestRoleARN(t *testing.T) {
	for _, tc := range []struct {
		name, role, region, want string
	}{
		{"name", "LambdauditReadOnly", "eu-west-1", "arn:aws:iam::222222222222:role/LambdauditReadOnly"},
		{"name with a path", "ops/LambdauditReadOnly", "us-east-1", "arn:aws:iam::222222222222:role/ops/LambdauditReadOnly"},
		{"name in China", "LambdauditReadOnly", "cn-northwest-1", "arn:aws-cn:iam::222222222222:role/LambdauditReadOnly"},
		{"name in GovCloud", "LambdauditReadOnly", "us-gov-west-1", "arn:aws-us-gov:iam::222222222222:role/LambdauditReadOnly"},
		{"template", "arn:aws:iam::{account}:role/audit-{account}", "cn-north-1", "arn:aws:iam::222222222222:role/audit-222222222222"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (scanner.Targets{Role: tc.role}).RoleARN("222222222222", tc.region); got != tc.want {
				t.Fatalf("RoleARN = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	var offset atomic.Int64
	env := invStart(t, invSpec, &offset)
	single := invStart(t, "accounts:\n  - id: \"444444444444\"\n    regions:\n      - name: us-east-1\n", &offset)
	roleOf := func(a string) string { return "arn:aws:iam::" + a + ":role/" + invRole }
	for _, tc := range []struct {
		name     string
		cfg      aws.Config
		t        scanner.Targets
		regions  []string
		accounts []scanner.Account
		// bad is the input the error must name.
		bad string
	}{
		{name: "zero value: the caller's account in the configured region", cfg: env.Config,
			regions: []string{"us-east-1"}, accounts: []scanner.Account{{ID: invMgmt}}},
		{name: "all regions, all accounts", cfg: env.Config, t: scanner.Targets{Regions: []string{"all"}, Accounts: []string{"all"}, Role: invRole},
			regions: []string{"eu-west-1", "us-east-1"},
			accounts: []scanner.Account{{ID: invMgmt, Name: "mgmt", State: "ACTIVE"}, {ID: invStaging, Name: "staging", RoleARN: roleOf(invStaging), State: "ACTIVE"},
				{ID: invOther, Name: "other", RoleARN: roleOf(invOther), State: "ACTIVE"}}},
		{name: "listed, sorted and deduplicated", cfg: env.Config, t: scanner.Targets{Regions: []string{"us-east-1", "ap-east-1", "us-east-1"}, Accounts: []string{invOther, invMgmt, invOther}, Role: invRole},
			regions: []string{"ap-east-1", "us-east-1"}, accounts: []scanner.Account{{ID: invMgmt}, {ID: invOther, RoleARN: roleOf(invOther)}}},
		{name: "the role in the caller's own account too", cfg: env.Config, t: scanner.Targets{Accounts: []string{invMgmt}, Role: invRole, RoleInOwnAccount: true},
			regions: []string{"us-east-1"}, accounts: []scanner.Account{{ID: invMgmt, RoleARN: roleOf(invMgmt)}}},
		{name: "a region AWS does not know", cfg: env.Config, t: scanner.Targets{Regions: []string{"us-east-1", "us-east-9"}}, bad: `regions "us-east-9"`},
		{name: "no region at all", cfg: func() aws.Config { c := env.Config.Copy(); c.Region = ""; return c }(), bad: `regions ""`},
		{name: "another account without a role", cfg: env.Config, t: scanner.Targets{Accounts: []string{invMgmt, invStaging}}, bad: `role ""`},
		{name: "an organization from outside one", cfg: single.Config, t: scanner.Targets{Accounts: []string{"all"}, Role: invRole}, bad: `accounts "all"`},
		{name: "bad targets are refused before any call", cfg: env.Config, t: scanner.Targets{Role: "arn:aws:iam::{acct}:role/x"}, bad: `role "arn:aws:iam::{acct}:role/x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scope, err := scanner.Resolve(context.Background(), tc.t, tc.cfg.Region, scanner.NewDiscovery(tc.cfg, "us-east-1"))
			if tc.bad != "" {
				var ie *scanner.InputError
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("err = %v, want an *InputError naming %s", err, tc.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if scope.Caller.Account != invMgmt || scope.Caller.ARN != "arn:aws:iam::111111111111:user/lambdaudit" {
				t.Errorf("caller = %+v", scope.Caller)
			}
			if !slices.Equal(scope.Regions, tc.regions) {
				t.Errorf("regions = %v, want %v", scope.Regions, tc.regions)
			}
			if !slices.Equal(scope.Accounts, tc.accounts) {
				t.Errorf("accounts = %+v, want %+v", scope.Accounts, tc.accounts)
			}
			if n := len(scope.Pairs()); n != len(tc.regions)*len(tc.accounts) {
				t.Errorf("%d pairs", n)
			}
		})
	}
}

// fakeOrg is a ListAccounts answer in pages, for states the simulator's
// fleet does not have.
type fakeOrg struct {
	pages [][]orgtypes.Account
	calls int
}

func (f *fakeOrg) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	i := 0
	if in.NextToken != nil {
		i = int((*in.NextToken)[0] - '0')
	}
	f.calls++
	out := &organizations.ListAccountsOutput{Accounts: f.pages[i]}
	if i+1 < len(f.pages) {
		out.NextToken = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func TestResolveOrganizationActiveOnly(t *testing.T) {
	var offset atomic.Int64
	env := invStart(t, invSpec, &offset)
	acct := func(id string, state orgtypes.AccountState, status orgtypes.AccountStatus) orgtypes.Account {
		return orgtypes.Account{Id: aws.String(id), Name: aws.String("n" + id[:1]), State: state, Status: status}
	}
	org := &fakeOrg{pages: [][]orgtypes.Account{
		{acct(invMgmt, orgtypes.AccountStateActive, ""), acct("555555555555", orgtypes.AccountStateSuspended, orgtypes.AccountStatusSuspended)},
		{acct(invStaging, "", orgtypes.AccountStatusActive), acct("666666666666", orgtypes.AccountStatePendingClosure, orgtypes.AccountStatusActive)},
		{acct("777777777777", orgtypes.AccountStateClosed, "")},
	}}
	d := scanner.Discovery{STS: sts.NewFromConfig(env.Config), EC2: ec2.NewFromConfig(env.Config), Organizations: org}
	scope, err := scanner.Resolve(context.Background(), scanner.Targets{Accounts: []string{"all"}, Role: invRole}, "us-east-1", d)
	if err != nil {
		t.Fatal(err)
	}
	var ids, skipped []string
	for _, a := range scope.Accounts {
		ids = append(ids, a.ID)
	}
	for _, a := range scope.SkippedAccounts {
		skipped = append(skipped, a.ID+":"+a.State)
	}
	if org.calls != 3 {
		t.Errorf("%d ListAccounts calls, want 3 (every page)", org.calls)
	}
	if want := []string{invMgmt, invStaging}; !slices.Equal(ids, want) {
		t.Errorf("accounts = %v, want %v (ACTIVE by State, or by Status when State is absent)", ids, want)
	}
	if want := []string{"555555555555:SUSPENDED", "666666666666:PENDING_CLOSURE", "777777777777:CLOSED"}; !slices.Equal(skipped, want) {
		t.Errorf("skipped = %v, want %v", skipped, want)
	}
}

// TestResolveBaseCredentials: credentials or an endpoint that do not work
// stop the scan before it starts, saying why and naming the endpoint.
func TestResolveBaseCredentials(t *testing.T) {
	var offset atomic.Int64
	env := invStart(t, invSpec, &offset)
	// Session credentials of the management account that the simulated
	// clock will see expire.
	out, err := sts.NewFromConfig(env.Config).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::111111111111:role/lambdaudit-member"), RoleSessionName: aws.String("short"), DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	expiring := invStatic(env.Config, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	unreachable := simtest.SDKConfig(t, "http://127.0.0.1:9", "us-east-1") // discard: nothing listens
	for _, tc := range []struct {
		name   string
		cfg    aws.Config
		before func()
		kind   error
		text   string
	}{
		{name: "unknown access key", cfg: invStatic(env.Config, "AKIANOTAREALKEY00000", "x", ""), kind: scanner.ErrInvalidCredentials, text: "InvalidClientTokenId"},
		{name: "expired session", cfg: expiring, before: func() { offset.Store(int64(16 * time.Minute)) }, kind: scanner.ErrExpiredCredentials, text: "ExpiredToken"},
		{name: "unreachable endpoint", cfg: invFastRetries(unreachable, 1), kind: scanner.ErrUnreachable, text: "127.0.0.1:9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer offset.Store(0)
			if tc.before != nil {
				tc.before()
			}
			s := invSessions(t, tc.cfg, scanner.Targets{Accounts: []string{"all"}, Role: invRole})
			_, err := s.Preflight(context.Background())
			t.Log(err)
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), "base credentials") || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err = %v, want %q about the base credentials mentioning %s", err, tc.kind, tc.text)
			}
			if _, err := s.Pairs(context.Background()); !errors.Is(err, tc.kind) {
				t.Fatalf("Pairs err = %v, want %q", err, tc.kind)
			}
		})
	}
}
