package sim_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// assumeMember assumes the member account's role with the STS client.
func assumeMember(t *testing.T, client *sts.Client, duration int32) *sts.AssumeRoleOutput {
	t.Helper()
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(memberRole), RoleSessionName: aws.String("lambdaudit-scan"),
		ExternalId: aws.String(memberExtID), DurationSeconds: aws.Int32(duration),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	return out
}

// sessionConfig is an SDK config signing with AssumeRole's credentials.
func sessionConfig(cfg aws.Config, out *sts.AssumeRoleOutput) aws.Config {
	c := out.Credentials
	cfg = cfg.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return cfg
}

func TestSTSGetCallerIdentity(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	ctx := context.Background()
	client := sts.NewFromConfig(env.Config)
	base, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	assumed := assumeMember(t, client, 900)
	session, err := sts.NewFromConfig(sessionConfig(env.Config, assumed)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                  string
		got                   *sts.GetCallerIdentityOutput
		account, arn, userIDp string
	}{
		{"base credentials", base, mgmtAccount, "arn:aws:iam::111111111111:user/lambdaudit", "AIDA"},
		{"assumed role", session, memberAccount, "arn:aws:sts::222222222222:assumed-role/lambdaudit-member/lambdaudit-scan", "AROA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if aws.ToString(tc.got.Account) != tc.account || aws.ToString(tc.got.Arn) != tc.arn || !strings.HasPrefix(aws.ToString(tc.got.UserId), tc.userIDp) {
				t.Fatalf("identity = %s %s %s, want %s %s %s…", aws.ToString(tc.got.Account), aws.ToString(tc.got.Arn), aws.ToString(tc.got.UserId), tc.account, tc.arn, tc.userIDp)
			}
		})
	}
	t.Run("AssumeRole output", func(t *testing.T) {
		c, u := assumed.Credentials, assumed.AssumedRoleUser
		if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SecretAccessKey) == "" || aws.ToString(c.SessionToken) == "" {
			t.Fatalf("credentials = %+v", c)
		}
		if want := simtest.Now.Add(900 * time.Second); !c.Expiration.Equal(want) {
			t.Fatalf("Expiration = %v, want %v", c.Expiration, want)
		}
		if aws.ToString(u.Arn) != "arn:aws:sts::222222222222:assumed-role/lambdaudit-member/lambdaudit-scan" || !strings.HasSuffix(aws.ToString(u.AssumedRoleId), ":lambdaudit-scan") {
			t.Fatalf("AssumedRoleUser = %s %s", aws.ToString(u.Arn), aws.ToString(u.AssumedRoleId))
		}
	})
	t.Run("signed in another region", func(t *testing.T) {
		out, err := sts.NewFromConfig(env.Config, func(o *sts.Options) { o.Region = "eu-west-1" }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(out.Account) != mgmtAccount {
			t.Fatalf("out = %+v, err = %v", out, err)
		}
		if env.Server.Accounting().Calls[0].Region == "" {
			t.Fatal("the call's region was not kept")
		}
	})
}

func TestSTSAssumeRoleErrors(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	client := sts.NewFromConfig(env.Config)
	denied := func(arn string) string {
		return "User: arn:aws:iam::111111111111:user/lambdaudit is not authorized to perform: sts:AssumeRole on resource: " + arn
	}
	for _, tc := range []struct {
		name     string
		in       sts.AssumeRoleInput
		code     string
		status   int
		msg      string
		wantUser string
	}{
		{name: "ok with external id", in: sts.AssumeRoleInput{RoleArn: aws.String(memberRole), ExternalId: aws.String(memberExtID)}, wantUser: "arn:aws:sts::222222222222:assumed-role/lambdaudit-member/s1"},
		{name: "ok without external id where none is set", in: sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/lambdaudit-member")}, wantUser: "arn:aws:sts::111111111111:assumed-role/lambdaudit-member/s1"},
		{name: "ok custom role name with a path", in: sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::333333333333:role/ops/custom-role"), DurationSeconds: aws.Int32(43200)}, wantUser: "arn:aws:sts::333333333333:assumed-role/custom-role/s1"},
		{name: "wrong external id", in: sts.AssumeRoleInput{RoleArn: aws.String(memberRole), ExternalId: aws.String("guess")}, code: "AccessDenied", status: 403, msg: denied(memberRole)},
		{name: "missing external id", in: sts.AssumeRoleInput{RoleArn: aws.String(memberRole)}, code: "AccessDenied", status: 403, msg: denied(memberRole)},
		{name: "unknown account", in: sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::999999999999:role/lambdaudit-member")}, code: "AccessDenied", status: 403, msg: denied("arn:aws:iam::999999999999:role/lambdaudit-member")},
		{name: "wrong role name", in: sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/admin"), ExternalId: aws.String(memberExtID)}, code: "AccessDenied", status: 403, msg: denied("arn:aws:iam::222222222222:role/admin")},
		{name: "malformed ARN", in: sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::2222:role/lambdaudit-member")}, code: "ValidationError", status: 400, msg: "is invalid"},
		{name: "not a role ARN", in: sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:user/lambdaudit")}, code: "ValidationError", status: 400},
		{name: "short ARN", in: sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam")}, code: "ValidationError", status: 400, msg: "length greater than or equal to 20"},
		{name: "duration too short", in: sts.AssumeRoleInput{RoleArn: aws.String(memberRole), ExternalId: aws.String(memberExtID), DurationSeconds: aws.Int32(899)}, code: "ValidationError", status: 400, msg: "greater than or equal to 900"},
		{name: "duration too long", in: sts.AssumeRoleInput{RoleArn: aws.String(memberRole), ExternalId: aws.String(memberExtID), DurationSeconds: aws.Int32(43201)}, code: "ValidationError", status: 400, msg: "less than or equal to 43200"},
		{name: "bad session name", in: sts.AssumeRoleInput{RoleArn: aws.String(memberRole), RoleSessionName: aws.String("no spaces")}, code: "ValidationError", status: 400, msg: "roleSessionName"},
		{name: "session name too short", in: sts.AssumeRoleInput{RoleArn: aws.String(memberRole), RoleSessionName: aws.String("x")}, code: "ValidationError", status: 400, msg: "roleSessionName"},
		{name: "bad external id", in: sts.AssumeRoleInput{RoleArn: aws.String(memberRole), ExternalId: aws.String("has space")}, code: "ValidationError", status: 400, msg: "externalId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.RoleSessionName == nil {
				in.RoleSessionName = aws.String("s1")
			}
			out, err := client.AssumeRole(context.Background(), &in)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if aws.ToString(out.AssumedRoleUser.Arn) != tc.wantUser {
					t.Fatalf("AssumedRoleUser = %s, want %s", aws.ToString(out.AssumedRoleUser.Arn), tc.wantUser)
				}
				return
			}
			ae := apiErr(t, err, tc.code)
			if s := httpStatus(err); s != tc.status {
				t.Fatalf("HTTP %d, want %d", s, tc.status)
			}
			if tc.msg != "" && !strings.Contains(ae.ErrorMessage(), tc.msg) {
				t.Fatalf("message %q lacks %q", ae.ErrorMessage(), tc.msg)
			}
		})
	}
	t.Run("role chaining is limited to one hour", func(t *testing.T) {
		assumed := assumeMember(t, client, 3600)
		chained := sts.NewFromConfig(sessionConfig(env.Config, assumed))
		_, err := chained.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::333333333333:role/custom-role"), RoleSessionName: aws.String("chain"), DurationSeconds: aws.Int32(7200)})
		apiErr(t, err, "ValidationError")
		out, err := chained.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::333333333333:role/custom-role"), RoleSessionName: aws.String("chain")})
		if err != nil || !strings.Contains(aws.ToString(out.AssumedRoleUser.Arn), "333333333333") {
			t.Fatalf("chained AssumeRole: %+v %v", out, err)
		}
	})
}

// TestSTSAssumedCredentialsScopeCalls proves that credentials from
// stscreds.NewAssumeRoleProvider scope later Lambda and Tagging calls to
// the member account.
func TestSTSAssumedCredentialsScopeCalls(t *testing.T) {
	// A clock that reads real time, so the SDK's credential cache keeps
	// the session until it really expires.
	env := simtest.Start(t, lambdaSpec, noQuotas(), sim.WithClock(time.Now))
	ctx := context.Background()
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(env.Config), memberRole, func(o *stscreds.AssumeRoleOptions) {
		o.ExternalID = aws.String(memberExtID)
		o.RoleSessionName = "lambdaudit-scan"
		o.Duration = 15 * time.Minute
	})
	member := env.Config.Copy()
	member.Credentials = aws.NewCredentialsCache(provider)
	lc := lambda.NewFromConfig(member)
	for range 3 {
		out, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Functions) != 1 || aws.ToString(out.Functions[0].FunctionArn) != "arn:aws:lambda:us-east-1:222222222222:function:member-fn" {
			t.Fatalf("member functions = %+v", out.Functions)
		}
	}
	settings, err := lc.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil || settings.AccountLimit.ConcurrentExecutions != 3000 {
		t.Fatalf("member settings = %+v, err = %v", settings, err)
	}
	tags, err := resourcegroupstaggingapi.NewFromConfig(member).GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{})
	if err != nil || len(tags.ResourceTagMappingList) != 1 || aws.ToString(tags.ResourceTagMappingList[0].ResourceARN) != "arn:aws:lambda:us-east-1:222222222222:function:member-fn" {
		t.Fatalf("member tags = %+v, err = %v", tags, err)
	}
	// The management account's own view is unchanged.
	mgmt, err := lambda.NewFromConfig(env.Config).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil || len(mgmt.Functions) != 4 {
		t.Fatalf("management functions: %d, err = %v", len(mgmt.Functions), err)
	}
	acct := env.Server.Accounting()
	if n := acct.API("sts", "AssumeRole").OK; n != 1 {
		t.Fatalf("AssumeRole called %d times, want 1 (the SDK caches the session)", n)
	}
	var memberCalls int64
	for _, c := range acct.Calls {
		if c.Account == memberAccount && c.Service == "lambda" {
			memberCalls += c.OK
		}
	}
	if memberCalls != 4 {
		t.Fatalf("member account Lambda calls = %d, want 4", memberCalls)
	}
}

func TestLambdaFaults(t *testing.T) {
	ctx := context.Background()
	t.Run("AccessDenied fault", func(t *testing.T) {
		env := simtest.Start(t, lambdaSpec, noQuotas(), sim.WithFaults(sim.Fault{Service: "lambda", AccessDenied: true, Account: mgmtAccount}))
		_, err := lambdaClient(env).ListFunctions(ctx, &lambda.ListFunctionsInput{})
		ae := apiErr(t, err, "AccessDeniedException")
		if httpStatus(err) != 403 || !strings.Contains(ae.ErrorMessage(), "lambda:ListFunctions") {
			t.Fatalf("HTTP %d %q", httpStatus(err), ae.ErrorMessage())
		}
		// The member account is not denied.
		lc := lambda.NewFromConfig(sessionConfig(env.Config, assumeMember(t, sts.NewFromConfig(env.Config), 900)))
		if _, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
			t.Fatalf("member account: %v", err)
		}
	})
	t.Run("disabled region", func(t *testing.T) {
		env := simtest.Start(t, lambdaSpec, noQuotas())
		cfg := sessionConfig(env.Config, assumeMember(t, sts.NewFromConfig(env.Config), 900))
		_, err := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = "ap-east-1" }).ListFunctions(ctx, &lambda.ListFunctionsInput{})
		apiErr(t, err, "UnrecognizedClientException")
		if httpStatus(err) != 403 {
			t.Fatalf("HTTP %d, want 403", httpStatus(err))
		}
	})
	t.Run("DisableRegion fault", func(t *testing.T) {
		env := simtest.Start(t, lambdaSpec, noQuotas(), sim.WithFaults(sim.Fault{DisableRegion: true, Region: "eu-west-1"}))
		_, err := lambdaClient(env, func(o *lambda.Options) { o.Region = "eu-west-1" }).GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
		apiErr(t, err, "UnrecognizedClientException")
	})
	t.Run("unknown access key", func(t *testing.T) {
		env := simtest.Start(t, lambdaSpec, noQuotas())
		cfg := env.Config.Copy()
		cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIAUNKNOWNKEY000000", "secret", "")
		_, err := lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{})
		apiErr(t, err, "UnrecognizedClientException")
		_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		apiErr(t, err, "InvalidClientTokenId")
	})
	t.Run("expired assumed credentials", func(t *testing.T) {
		var clock atomic.Int64
		clock.Store(simtest.Now.UnixNano())
		env := simtest.Start(t, lambdaSpec, noQuotas(), sim.WithClock(func() time.Time { return time.Unix(0, clock.Load()).UTC() }))
		cfg := sessionConfig(env.Config, assumeMember(t, sts.NewFromConfig(env.Config), 900))
		lc := lambda.NewFromConfig(cfg)
		if _, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
			t.Fatalf("fresh credentials: %v", err)
		}
		clock.Add(int64(899 * time.Second))
		if _, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		clock.Add(int64(time.Second))
		_, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		apiErr(t, err, "ExpiredTokenException")
		_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		apiErr(t, err, "ExpiredToken")
	})
}
