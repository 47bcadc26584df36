package sim_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

func TestOrganizationsListAccounts(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	ctx := context.Background()
	client := organizations.NewFromConfig(env.Config)
	for _, tc := range []struct {
		name  string
		limit int32
		pages int
	}{
		{"default page size", 0, 1},
		{"one account a page", 1, 3},
		{"two accounts a page", 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{}, func(o *organizations.ListAccountsPaginatorOptions) { o.Limit = tc.limit })
			var got []orgtypes.Account
			pages := 0
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				got = append(got, out.Accounts...)
			}
			if pages != tc.pages || len(got) != 3 {
				t.Fatalf("%d pages, %d accounts; want %d pages, 3 accounts", pages, len(got), tc.pages)
			}
			for i, want := range []string{mgmtAccount, memberAccount, "333333333333"} {
				a := got[i]
				if aws.ToString(a.Id) != want || a.State != orgtypes.AccountStateActive || a.Status != orgtypes.AccountStatusActive {
					t.Fatalf("account %d = %s %s %s, want %s ACTIVE", i, aws.ToString(a.Id), a.State, a.Status, want)
				}
				if arn := aws.ToString(a.Arn); len(arn) < 40 || arn[:len("arn:aws:organizations::111111111111:account/o-")] != "arn:aws:organizations::111111111111:account/o-" {
					t.Fatalf("Arn = %s", arn)
				}
				if a.JoinedTimestamp == nil || !a.JoinedTimestamp.Before(simtest.Now) || aws.ToString(a.Email) == "" {
					t.Fatalf("account %+v", a)
				}
			}
			if got[0].JoinedMethod != orgtypes.AccountJoinedMethodInvited || got[1].JoinedMethod != orgtypes.AccountJoinedMethodCreated {
				t.Fatalf("JoinedMethod = %s, %s", got[0].JoinedMethod, got[1].JoinedMethod)
			}
		})
	}
}

func TestOrganizationsErrors(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas(), sim.WithFaults(sim.Fault{Service: "organizations", Account: "333333333333", ThrottlePct: 100}, sim.Fault{Account: mgmtAccount, Region: "ap-east-1", DisableRegion: true}))
	single := simtest.Start(t, "accounts:\n  - id: \"444444444444\"\n    regions:\n      - name: us-east-1\n", noQuotas())
	ctx := context.Background()
	member := sessionConfig(env.Config, assumeMember(t, sts.NewFromConfig(env.Config), 900))
	throttled := sessionConfig(env.Config, assumeRole(t, env, "arn:aws:iam::333333333333:role/custom-role", ""))
	noRetry := func(o *organizations.Options) { o.RetryMaxAttempts = 1 }
	for _, tc := range []struct {
		name   string
		cfg    aws.Config
		in     organizations.ListAccountsInput
		code   string
		typed  any
		status int
	}{
		{name: "member account", cfg: member, code: "AccessDeniedException", typed: new(*orgtypes.AccessDeniedException), status: 400},
		{name: "no organization", cfg: single.Config, code: "AWSOrganizationsNotInUseException", typed: new(*orgtypes.AWSOrganizationsNotInUseException), status: 400},
		{name: "bad next token", cfg: env.Config, in: organizations.ListAccountsInput{NextToken: aws.String("bogus")}, code: "InvalidInputException", typed: new(*orgtypes.InvalidInputException), status: 400},
		{name: "max results over 20", cfg: env.Config, in: organizations.ListAccountsInput{MaxResults: aws.Int32(21)}, code: "InvalidInputException", status: 400},
		{name: "throttled", cfg: throttled, code: "TooManyRequestsException", typed: new(*orgtypes.TooManyRequestsException), status: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := organizations.NewFromConfig(tc.cfg, noRetry).ListAccounts(ctx, &tc.in)
			apiErr(t, err, tc.code)
			if s := httpStatus(err); s != tc.status {
				t.Fatalf("HTTP %d, want %d", s, tc.status)
			}
			if tc.typed != nil && !errors.As(err, tc.typed) {
				t.Fatalf("err = %T %v, want the modeled error type %T", err, err, tc.typed)
			}
		})
	}
	t.Run("global: answers when signed in a disabled region", func(t *testing.T) {
		if _, err := organizations.NewFromConfig(env.Config, noRetry, func(o *organizations.Options) { o.Region = "ap-east-1" }).ListAccounts(ctx, &organizations.ListAccountsInput{}); err != nil {
			t.Fatal(err)
		}
		_, err := ec2.NewFromConfig(env.Config, func(o *ec2.Options) { o.Region = "ap-east-1"; o.RetryMaxAttempts = 1 }).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
		apiErr(t, err, "AuthFailure")
	})
}
