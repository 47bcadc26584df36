package sim_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// regionStatuses maps region name → opt-in status.
func regionStatuses(out *ec2.DescribeRegionsOutput) map[string]string {
	m := map[string]string{}
	for _, r := range out.Regions {
		m[aws.ToString(r.RegionName)] = aws.ToString(r.OptInStatus)
	}
	return m
}

func TestEC2DescribeRegions(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas(), sim.WithFaults(sim.Fault{Account: "333333333333", Region: "eu-west-1", DisableRegion: true}))
	ctx := context.Background()
	mgmt := ec2.NewFromConfig(env.Config)
	member := ec2.NewFromConfig(sessionConfig(env.Config, assumeMember(t, sts.NewFromConfig(env.Config), 900)))
	for _, tc := range []struct {
		name    string
		client  *ec2.Client
		in      ec2.DescribeRegionsInput
		want    []string          // exact region names, sorted
		status  map[string]string // a subset of the answer
		missing []string
	}{
		{name: "management account: spec regions plus us-east-1", client: mgmt,
			want: []string{"eu-west-1", "us-east-1"}, status: map[string]string{"eu-west-1": "opt-in-not-required", "us-east-1": "opt-in-not-required"}},
		{name: "member account: a disabled spec region is not enabled", client: member,
			want: []string{"us-east-1"}},
		{name: "all regions", client: member, in: ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)},
			status: map[string]string{"us-east-1": "opt-in-not-required", "ap-east-1": "not-opted-in", "eu-west-1": "not-opted-in", "me-south-1": "not-opted-in"}},
		{name: "region names", client: mgmt, in: ec2.DescribeRegionsInput{RegionNames: []string{"eu-west-1", "ap-east-1"}},
			want: []string{"eu-west-1"}},
		{name: "region names with all regions", client: mgmt, in: ec2.DescribeRegionsInput{RegionNames: []string{"eu-west-1", "ap-east-1"}, AllRegions: aws.Bool(true)},
			want: []string{"ap-east-1", "eu-west-1"}},
		{name: "opt-in-status filter", client: member, in: ec2.DescribeRegionsInput{AllRegions: aws.Bool(true), Filters: []ec2types.Filter{{Name: aws.String("opt-in-status"), Values: []string{"opt-in-not-required", "opted-in"}}}},
			want: []string{"us-east-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.client.DescribeRegions(ctx, &tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got := regionStatuses(out)
			if tc.want != nil {
				var names []string
				for _, r := range out.Regions {
					names = append(names, aws.ToString(r.RegionName))
				}
				if !slices.Equal(names, tc.want) {
					t.Fatalf("regions = %v, want %v", names, tc.want)
				}
			}
			for name, st := range tc.status {
				if got[name] != st {
					t.Errorf("%s: status %q, want %q", name, got[name], st)
				}
			}
			for _, r := range out.Regions {
				if want := "ec2." + aws.ToString(r.RegionName) + ".amazonaws.com"; aws.ToString(r.Endpoint) != want {
					t.Errorf("endpoint %q, want %q", aws.ToString(r.Endpoint), want)
				}
			}
		})
	}
	t.Run("a DisableRegion fault scoped to the account", func(t *testing.T) {
		out, err := ec2.NewFromConfig(sessionConfig(env.Config, assumeRole(t, env, "arn:aws:iam::333333333333:role/custom-role", ""))).DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if got := regionStatuses(out)["eu-west-1"]; got != "not-opted-in" {
			t.Fatalf("eu-west-1 = %q, want not-opted-in", got)
		}
	})
}

// assumeRole assumes a role with the base credentials.
func assumeRole(t *testing.T, env *simtest.Env, arn, extID string) *sts.AssumeRoleOutput {
	t.Helper()
	in := &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("sim-test")}
	if extID != "" {
		in.ExternalId = aws.String(extID)
	}
	out, err := sts.NewFromConfig(env.Config).AssumeRole(context.Background(), in)
	if err != nil {
		t.Fatalf("AssumeRole %s: %v", arn, err)
	}
	return out
}

func TestEC2Errors(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas(),
		sim.WithFaults(sim.Fault{Service: "ec2", Account: memberAccount, AccessDenied: true}, sim.Fault{Service: "ec2", Region: "us-west-2", ThrottlePct: 100}))
	ctx := context.Background()
	member := sessionConfig(env.Config, assumeMember(t, sts.NewFromConfig(env.Config), 900))
	noRetry := func(o *ec2.Options) { o.RetryMaxAttempts = 1 }
	for _, tc := range []struct {
		name   string
		cfg    aws.Config
		region string
		in     ec2.DescribeRegionsInput
		code   string
		status int
	}{
		{name: "unknown filter", cfg: env.Config, in: ec2.DescribeRegionsInput{Filters: []ec2types.Filter{{Name: aws.String("colour"), Values: []string{"red"}}}}, code: "InvalidParameterValue", status: 400},
		{name: "unknown region name", cfg: env.Config, in: ec2.DescribeRegionsInput{RegionNames: []string{"xx-nowhere-1"}}, code: "InvalidParameterValue", status: 400},
		{name: "dry run", cfg: env.Config, in: ec2.DescribeRegionsInput{DryRun: aws.Bool(true)}, code: "DryRunOperation", status: 412},
		{name: "signed in a disabled region", cfg: member, region: "ap-east-1", code: "AuthFailure", status: 401},
		{name: "access denied", cfg: member, code: "UnauthorizedOperation", status: 403},
		{name: "throttled", cfg: env.Config, region: "us-west-2", code: "RequestLimitExceeded", status: 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := ec2.NewFromConfig(tc.cfg, noRetry, func(o *ec2.Options) {
				if tc.region != "" {
					o.Region = tc.region
				}
			})
			_, err := client.DescribeRegions(ctx, &tc.in)
			apiErr(t, err, tc.code)
			if s := httpStatus(err); s != tc.status {
				t.Fatalf("HTTP %d, want %d", s, tc.status)
			}
		})
	}
	t.Run("the SDK retries RequestLimitExceeded", func(t *testing.T) {
		env.Server.ResetAccounting()
		retryer := retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 2
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
		_, err := ec2.NewFromConfig(env.Config, func(o *ec2.Options) { o.Region = "us-west-2"; o.Retryer = retryer }).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
		apiErr(t, err, "RequestLimitExceeded")
		if c := env.Server.Accounting().API("ec2", "DescribeRegions"); c.Calls != 2 || c.Throttled != 2 {
			t.Fatalf("accounting = %+v, want 2 throttled calls", c)
		}
	})
}

// TestAWSCLIDescribeRegions has the aws CLI (botocore's ec2 query
// parser) read the same answer as the SDK.
func TestAWSCLIDescribeRegions(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	sdk, err := ec2.NewFromConfig(env.Config).DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := awsCLI(t, env.URL, simtest.CLIEnv(t, "us-east-1"), "ec2", "describe-regions", "--all-regions")
	if err != nil {
		t.Fatalf("aws ec2 describe-regions: %v\n%s", err, out)
	}
	var cli struct {
		Regions []struct{ RegionName, Endpoint, OptInStatus string }
	}
	if err := json.Unmarshal(out, &cli); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(cli.Regions) != len(sdk.Regions) || len(cli.Regions) < 30 {
		t.Fatalf("CLI saw %d regions, SDK %d", len(cli.Regions), len(sdk.Regions))
	}
	for i, r := range cli.Regions {
		s := sdk.Regions[i]
		if r.RegionName != aws.ToString(s.RegionName) || r.Endpoint != aws.ToString(s.Endpoint) || r.OptInStatus != aws.ToString(s.OptInStatus) {
			t.Fatalf("region %d: CLI %+v, SDK %s %s %s", i, r, aws.ToString(s.RegionName), aws.ToString(s.Endpoint), aws.ToString(s.OptInStatus))
		}
	}
	t.Run("an error in EC2's envelope", func(t *testing.T) {
		out, err := awsCLI(t, env.URL, simtest.CLIEnv(t, "us-east-1"), "ec2", "describe-regions", "--region-names", "xx-nowhere-1")
		if err == nil || !strings.Contains(string(out), "An error occurred (InvalidParameterValue)") || !strings.Contains(string(out), "xx-nowhere-1") {
			t.Fatalf("err = %v, output:\n%s", err, out)
		}
	})
}
