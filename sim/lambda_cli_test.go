package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// awsCLI runs the aws CLI against the simulator and returns its stdout,
// or its stderr and exit error.
func awsCLI(t *testing.T, url string, env []string, args ...string) ([]byte, error) {
	t.Helper()
	bin := simtest.AWSCLI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, "--endpoint-url", url, "--output", "json")...)
	cmd.Env = env
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Stderr, err
	}
	return out, err
}

// TestAWSCLIReadsLambdaAndSTS has an independent client, the aws CLI
// (botocore), parse the simulator's Lambda, STS and Tagging answers, and
// compares them with the SDK's view.
func TestAWSCLIReadsLambdaAndSTS(t *testing.T) {
	spec, published := manySpec(120)
	spec += "  - id: \"222222222222\"\n    externalId: lambdaudit-ext-42\n    regions:\n      - name: us-east-1\n        functions:\n          - name: member-fn\n            tags: {team: member}\n"
	env := simtest.Start(t, spec, noQuotas())
	cliEnv := simtest.CLIEnv(t, "us-east-1")
	run := func(t *testing.T, env2 []string, args ...string) []byte {
		t.Helper()
		out, err := awsCLI(t, env.URL, env2, args...)
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	// The SDK's view of the management account.
	ctx := context.Background()
	var sdkNames []string
	p := lambda.NewListFunctionsPaginator(lambda.NewFromConfig(env.Config), &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, fn := range out.Functions {
			sdkNames = append(sdkNames, aws.ToString(fn.FunctionName))
		}
	}

	t.Run("lambda list-functions paginates everything", func(t *testing.T) {
		var list struct {
			Functions []struct {
				FunctionName, FunctionArn, Runtime, LastModified, Version string
				MemorySize, Timeout                                       int
				Architectures                                             []string
				EphemeralStorage                                          struct{ Size int }
				LoggingConfig                                             struct{ LogFormat, LogGroup string }
			}
		}
		if err := json.Unmarshal(run(t, cliEnv, "lambda", "list-functions"), &list); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, fn := range list.Functions {
			names = append(names, fn.FunctionName)
			if fn.Runtime != "nodejs22.x" || fn.Timeout != 3 || fn.EphemeralStorage.Size != 512 || fn.Architectures[0] != "x86_64" || fn.LoggingConfig.LogFormat != "Text" || fn.Version != "$LATEST" {
				t.Fatalf("CLI sees %+v", fn)
			}
		}
		if !slices.Equal(names, sdkNames) {
			t.Fatalf("CLI lists %d functions, SDK %d", len(names), len(sdkNames))
		}
		var all struct {
			Functions []struct{ FunctionArn string }
		}
		if err := json.Unmarshal(run(t, cliEnv, "lambda", "list-functions", "--function-version", "ALL"), &all); err != nil {
			t.Fatal(err)
		}
		if len(all.Functions) != 120+published {
			t.Fatalf("CLI --function-version ALL: %d entries, want %d", len(all.Functions), 120+published)
		}
	})
	t.Run("lambda get-account-settings", func(t *testing.T) {
		var s struct {
			AccountLimit struct{ ConcurrentExecutions, UnreservedConcurrentExecutions int }
			AccountUsage struct{ FunctionCount int }
		}
		if err := json.Unmarshal(run(t, cliEnv, "lambda", "get-account-settings"), &s); err != nil {
			t.Fatal(err)
		}
		sdk, err := lambda.NewFromConfig(env.Config).GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if int32(s.AccountLimit.ConcurrentExecutions) != sdk.AccountLimit.ConcurrentExecutions || int64(s.AccountUsage.FunctionCount) != sdk.AccountUsage.FunctionCount || s.AccountUsage.FunctionCount != 120 {
			t.Fatalf("CLI %+v, SDK %+v %+v", s, sdk.AccountLimit, sdk.AccountUsage)
		}
	})
	t.Run("lambda get-function error", func(t *testing.T) {
		out, err := awsCLI(t, env.URL, cliEnv, "lambda", "get-function", "--function-name", "nope")
		if err == nil || !strings.Contains(string(out), "(ResourceNotFoundException)") || !strings.Contains(string(out), "Function not found: arn:aws:lambda:us-east-1:111111111111:function:nope") {
			t.Fatalf("err = %v, stderr %s", err, out)
		}
	})
	t.Run("sts get-caller-identity", func(t *testing.T) {
		var who struct{ Account, Arn, UserId string }
		if err := json.Unmarshal(run(t, cliEnv, "sts", "get-caller-identity"), &who); err != nil {
			t.Fatal(err)
		}
		sdk, err := sts.NewFromConfig(env.Config).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if who.Account != aws.ToString(sdk.Account) || who.Arn != aws.ToString(sdk.Arn) || who.UserId != aws.ToString(sdk.UserId) {
			t.Fatalf("CLI %+v, SDK %s %s %s", who, aws.ToString(sdk.Account), aws.ToString(sdk.Arn), aws.ToString(sdk.UserId))
		}
	})
	t.Run("sts assume-role and use the session", func(t *testing.T) {
		var ar struct {
			Credentials struct {
				AccessKeyId, SecretAccessKey, SessionToken string
				Expiration                                 time.Time
			}
			AssumedRoleUser struct{ Arn, AssumedRoleId string }
		}
		if err := json.Unmarshal(run(t, cliEnv, "sts", "assume-role", "--role-arn", memberRole, "--role-session-name", "cli", "--external-id", memberExtID, "--duration-seconds", "900"), &ar); err != nil {
			t.Fatal(err)
		}
		if ar.AssumedRoleUser.Arn != "arn:aws:sts::222222222222:assumed-role/lambdaudit-member/cli" || !ar.Credentials.Expiration.Equal(simtest.Now.Add(900*time.Second)) {
			t.Fatalf("assume-role = %+v", ar)
		}
		session := append(slices.Clone(cliEnv), "AWS_ACCESS_KEY_ID="+ar.Credentials.AccessKeyId, "AWS_SECRET_ACCESS_KEY="+ar.Credentials.SecretAccessKey, "AWS_SESSION_TOKEN="+ar.Credentials.SessionToken)
		var who struct{ Account, Arn string }
		if err := json.Unmarshal(run(t, session, "sts", "get-caller-identity"), &who); err != nil {
			t.Fatal(err)
		}
		if who.Arn != ar.AssumedRoleUser.Arn || who.Account != memberAccount {
			t.Fatalf("session identity = %+v", who)
		}
		var list struct {
			Functions []struct{ FunctionName string }
		}
		if err := json.Unmarshal(run(t, session, "lambda", "list-functions"), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Functions) != 1 || list.Functions[0].FunctionName != "member-fn" {
			t.Fatalf("the session lists %+v, want the member account's member-fn", list.Functions)
		}
		var res struct {
			ResourceTagMappingList []struct {
				ResourceARN string
				Tags        []struct{ Key, Value string }
			}
		}
		if err := json.Unmarshal(run(t, session, "resourcegroupstaggingapi", "get-resources", "--resource-type-filters", "lambda:function"), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.ResourceTagMappingList) != 1 || res.ResourceTagMappingList[0].Tags[0].Value != "member" {
			t.Fatalf("get-resources = %+v", res)
		}
		out, err := awsCLI(t, env.URL, cliEnv, "sts", "assume-role", "--role-arn", memberRole, "--role-session-name", "cli", "--external-id", "wrong-id")
		if err == nil || !strings.Contains(string(out), "(AccessDenied)") {
			t.Fatalf("wrong external id: err = %v, stderr %s", err, out)
		}
	})
}
