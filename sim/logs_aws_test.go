package sim_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// orgSpec is shaped like a real organisation's corner: current and
// deprecated runtimes with timeouts, a Delivery-class log group, a Lambda
// Managed Instances function, and regions beyond the usual few.
const orgSpec = `
accounts:
- id: "111111111111"
  regions:
  - name: eu-west-2
    functions:
    - name: current
      runtime: nodejs22.x
      timeoutS: 5
      profile:
        invocations: 1000
        duration: {p50: 100, max: 4000}
        timeouts: 7
    - name: legacy
      runtime: python3.8
      handler: app.handler
      timeoutS: 5
      profile:
        invocations: 500
        duration: {p50: 100, max: 4000}
        timeouts: 3
    - name: current-json
      logFormat: JSON
      timeoutS: 5
      profile:
        invocations: 400
        duration: {p50: 100, max: 4000}
        timeouts: 2
    - name: shipped
      logGroupClass: DELIVERY
      profile:
        invocations: 100
    - name: big
      capacityProvider: org-cp
      memoryMB: 32768
      timeoutS: 5400
      profile:
        invocations: 50
  - name: ap-south-1
    functions:
    - name: mumbai
      profile: {invocations: 10}
  - name: sa-east-1
    functions:
    - name: saopaulo
      profile: {invocations: 10}
`

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestLogsNoTimeoutLineOnCurrentRuntimes: a timed-out invocation on a
// current runtime leaves only its REPORT status, in Text and JSON; a
// deprecated runtime still writes the "Task timed out after" line.
func TestLogsNoTimeoutLineOnCurrentRuntimes(t *testing.T) {
	env := simtest.Start(t, orgSpec, sim.WithQueryTime(sim.QueryTime{Base: 50 * time.Millisecond}))
	c := cloudwatchlogs.NewFromConfig(env.Config, func(o *cloudwatchlogs.Options) { o.Region = "eu-west-2" })
	day := env.Fleet.Anchor.Add(-24 * time.Hour)
	groups := []string{"/aws/lambda/current", "/aws/lambda/legacy", "/aws/lambda/current-json"}
	count := func(q string) map[string]string {
		res := runQuery(t, c, groups, day, day.Add(24*time.Hour-time.Second), q)
		out := map[string]string{}
		for _, r := range res.Results {
			m := row(r)
			out[m["@log"]] = m["n"]
		}
		return out
	}
	lines := count(`filter @message like "Task timed out" | stats count(*) as n by @log`)
	if want := map[string]string{"111111111111:/aws/lambda/legacy": "3"}; len(lines) != 1 || lines["111111111111:/aws/lambda/legacy"] != "3" {
		t.Errorf("Task timed out lines by group %v, want only %v", lines, want)
	}
	status := count(`filter @type = "REPORT" and @message like "Status: timeout" | stats count(*) as n by @log`)
	for g, want := range map[string]string{"111111111111:/aws/lambda/current": "7", "111111111111:/aws/lambda/legacy": "3"} {
		if status[g] != want {
			t.Errorf("%s: %q REPORT lines with Status: timeout, want %s", g, status[g], want)
		}
	}
	js := count(`filter type = "platform.report" and record.status = "timeout" | stats count(*) as n by @log`)
	if js["111111111111:/aws/lambda/current-json"] != "2" {
		t.Errorf("JSON platform.report with status timeout: %v, want 2", js)
	}
}

// TestLogsQueryLimitAndPages: StartQuery takes a limit up to 100,000 and
// refuses more; GetQueryResults pages the rows with nextToken.
func TestLogsQueryLimitAndPages(t *testing.T) {
	env := simtest.Start(t, orgSpec, sim.WithQueryTime(sim.QueryTime{Base: 10 * time.Millisecond}))
	c := cloudwatchlogs.NewFromConfig(env.Config, func(o *cloudwatchlogs.Options) { o.Region = "eu-west-2" })
	ctx := context.Background()
	start, end := env.Fleet.Anchor.Add(-3*24*time.Hour), env.Fleet.Anchor.Add(-time.Second)
	in := func(limit int32) *cloudwatchlogs.StartQueryInput {
		return &cloudwatchlogs.StartQueryInput{LogGroupNames: []string{"/aws/lambda/current"}, StartTime: aws.Int64(start.Unix()), EndTime: aws.Int64(end.Unix()),
			QueryString: aws.String("fields @timestamp, @message"), Limit: aws.Int32(limit)}
	}
	for _, tc := range []struct {
		name  string
		limit int32
		err   string
	}{
		{"100,000 is AWS's maximum", 100000, ""},
		{"above it", 100001, "less than or equal to 100000"},
		{"zero", 0, "less than or equal to 100000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.StartQuery(ctx, in(tc.limit))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if apiCode(err) != "InvalidParameterException" || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want InvalidParameterException with %q", err, tc.err)
			}
		})
	}

	// 3 days of a 1,000-invocation function are 15,000+ events: a
	// 12,345-row query comes in pages of 10,000 and 2,345.
	q, err := c.StartQuery(ctx, in(12345))
	if err != nil {
		t.Fatal(err)
	}
	var first *cloudwatchlogs.GetQueryResultsOutput
	for range 200 {
		first, err = c.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: q.QueryId})
		if err != nil {
			t.Fatal(err)
		}
		if first.Status == types.QueryStatusComplete {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if first.Status != types.QueryStatusComplete || first.NextToken == nil {
		t.Fatalf("status %s, %d rows, nextToken %v: want a complete first page with a nextToken", first.Status, len(first.Results), first.NextToken)
	}
	sizes := []int{len(first.Results)}
	seen := map[string]bool{}
	for _, r := range first.Results {
		seen[row(r)["@ptr"]] = true
	}
	tok := first.NextToken
	for tok != nil {
		page, err := c.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: q.QueryId, NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.Results))
		for _, r := range page.Results {
			seen[row(r)["@ptr"]] = true
		}
		tok = page.NextToken
	}
	if len(sizes) != 2 || sizes[0] != 10000 || sizes[1] != 2345 {
		t.Errorf("page sizes %v, want [10000 2345]", sizes)
	}
	if len(seen) != 12345 {
		t.Errorf("%d distinct rows over the pages: pages repeat rows", len(seen))
	}
	// maxItems makes smaller pages; a token from elsewhere is refused.
	small, err := c.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: q.QueryId, MaxItems: aws.Int32(5000)})
	if err != nil || len(small.Results) != 5000 || small.NextToken == nil {
		t.Errorf("maxItems 5000: %d rows, nextToken %v, err %v", len(small.Results), small.NextToken, err)
	}
	if _, err := c.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: q.QueryId, NextToken: aws.String("bm9wZQ")}); apiCode(err) != "InvalidParameterException" {
		t.Errorf("a bad nextToken: err = %v, want InvalidParameterException", err)
	}
}

// TestLogsDeliveryClass: DescribeLogGroups shows the class, and a query
// over a batch including the Delivery-class group fails naming it.
func TestLogsDeliveryClass(t *testing.T) {
	env := simtest.Start(t, orgSpec, sim.WithQueryTime(sim.QueryTime{Base: 10 * time.Millisecond}))
	c := cloudwatchlogs.NewFromConfig(env.Config, func(o *cloudwatchlogs.Options) { o.Region = "eu-west-2" })
	ctx := context.Background()
	out, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	classes := map[string]types.LogGroupClass{}
	for _, g := range out.LogGroups {
		classes[aws.ToString(g.LogGroupName)] = g.LogGroupClass
	}
	if classes["/aws/lambda/shipped"] != types.LogGroupClassDelivery || classes["/aws/lambda/current"] != types.LogGroupClassStandard {
		t.Errorf("classes %v", classes)
	}
	only, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupClass: types.LogGroupClassDelivery})
	if err != nil || len(only.LogGroups) != 1 || aws.ToString(only.LogGroups[0].LogGroupName) != "/aws/lambda/shipped" {
		t.Errorf("logGroupClass DELIVERY filter: %+v, %v", only, err)
	}
	start, end := env.Fleet.Anchor.Add(-24*time.Hour), env.Fleet.Anchor.Add(-time.Second)
	_, err = c.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{LogGroupNames: []string{"/aws/lambda/current", "/aws/lambda/shipped"},
		StartTime: aws.Int64(start.Unix()), EndTime: aws.Int64(end.Unix()), QueryString: aws.String("fields @message")})
	if apiCode(err) != "InvalidParameterException" || !strings.Contains(err.Error(), "'/aws/lambda/shipped'") || !strings.Contains(err.Error(), "DELIVERY") {
		t.Fatalf("a batch with a Delivery-class group: err = %v, want InvalidParameterException naming it", err)
	}
	if _, err := c.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{LogGroupNames: []string{"/aws/lambda/current"},
		StartTime: aws.Int64(start.Unix()), EndTime: aws.Int64(end.Unix()), QueryString: aws.String("fields @message")}); err != nil {
		t.Fatalf("without it: %v", err)
	}
}

// TestManagedInstancesAndRegions: ListFunctions shows a Managed Instances
// function's capacity provider and its limits, in eu-west-2, and the
// other regions answer too.
func TestManagedInstancesAndRegions(t *testing.T) {
	env := simtest.Start(t, orgSpec)
	ctx := context.Background()
	for region, want := range map[string][]string{"eu-west-2": {"current", "legacy", "current-json", "shipped", "big"}, "ap-south-1": {"mumbai"}, "sa-east-1": {"saopaulo"}} {
		c := lambda.NewFromConfig(env.Config, func(o *lambda.Options) { o.Region = region })
		out, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		if err != nil {
			t.Fatalf("%s: %v", region, err)
		}
		var names []string
		for _, f := range out.Functions {
			names = append(names, aws.ToString(f.FunctionName))
			cp := f.CapacityProviderConfig
			if aws.ToString(f.FunctionName) != "big" {
				if cp != nil {
					t.Errorf("%s: an on-demand function with CapacityProviderConfig %+v", aws.ToString(f.FunctionName), cp)
				}
				continue
			}
			if cp == nil || cp.LambdaManagedInstancesCapacityProviderConfig == nil ||
				aws.ToString(cp.LambdaManagedInstancesCapacityProviderConfig.CapacityProviderArn) != "arn:aws:lambda:eu-west-2:111111111111:capacity-provider:org-cp" {
				t.Errorf("big: CapacityProviderConfig %+v", cp)
			}
			if aws.ToInt32(f.MemorySize) != 32768 || aws.ToInt32(f.Timeout) != 5400 || f.LoggingConfig == nil || f.LoggingConfig.LogFormat != "JSON" {
				t.Errorf("big: memory %d, timeout %d, logging %+v", aws.ToInt32(f.MemorySize), aws.ToInt32(f.Timeout), f.LoggingConfig)
			}
		}
		if strings.Join(names, ",") != strings.Join(want, ",") {
			t.Errorf("%s: functions %v, want %v", region, names, want)
		}
	}
}

// TestFaultPerFunction: a fault naming one function or log group denies
// the calls about it alone, naming the resource as IAM does.
func TestFaultPerFunction(t *testing.T) {
	env := simtest.Start(t, orgSpec, sim.WithQueryTime(sim.QueryTime{Base: 10 * time.Millisecond}), sim.WithFaults(
		sim.Fault{Service: "lambda", Function: "legacy", AccessDenied: true},
		sim.Fault{Service: "logs", LogGroup: "/aws/lambda/current-json", AccessDenied: true},
	))
	ctx := context.Background()
	lc := lambda.NewFromConfig(env.Config, func(o *lambda.Options) { o.Region = "eu-west-2" })
	if _, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Errorf("ListFunctions names no function, so the fault must not match: %v", err)
	}
	_, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("legacy")})
	if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "on resource: arn:aws:lambda:eu-west-2:111111111111:function:legacy") {
		t.Errorf("GetFunction legacy: %v, want AccessDeniedException on its ARN", err)
	}
	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("current")}); err != nil {
		t.Errorf("GetFunction current: %v", err)
	}
	c := cloudwatchlogs.NewFromConfig(env.Config, func(o *cloudwatchlogs.Options) { o.Region = "eu-west-2" })
	start, end := env.Fleet.Anchor.Add(-24*time.Hour), env.Fleet.Anchor.Add(-time.Second)
	q := func(groups ...string) error {
		_, err := c.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{LogGroupNames: groups,
			StartTime: aws.Int64(start.Unix()), EndTime: aws.Int64(end.Unix()), QueryString: aws.String("fields @message")})
		return err
	}
	err = q("/aws/lambda/current", "/aws/lambda/current-json")
	if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "log-group:/aws/lambda/current-json:*") {
		t.Errorf("StartQuery with the denied group: %v, want AccessDeniedException naming its ARN", err)
	}
	if err := q("/aws/lambda/current", "/aws/lambda/legacy"); err != nil {
		t.Errorf("StartQuery without it: %v", err)
	}
}

// TestParseFaultValues: every key refuses a value of the wrong kind,
// naming the key, the value and the valid choices.
func TestParseFaultValues(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{"accessDenied=yes", `accessDenied must be true or false, got "yes"`},
		{"disableRegion=1", `disableRegion must be true or false, got "1"`},
		{"queryTimeout=on", `queryTimeout must be true or false, got "on"`},
		{"throttlePct=20abc", `throttlePct must be a number between 0 and 100, got "20abc"`},
		{"errorPct=lots", `errorPct must be a number between 0 and 100, got "lots"`},
		{"queryFailPct=NaN", `queryFailPct must be a number between 0 and 100, got "NaN"`},
		{"latencyMultiplier=fast", `latencyMultiplier must be a number of 0 or more, got "fast"`},
		{"latencyMultiplier=-1", "must be a number of 0 or more (0 = unchanged), got -1"},
		{"errorPct=150", "errorPct: must be a number between 0 and 100, got 150"},
		{"service=s3,errorPct=1", `unknown service "s3" (valid: lambda, monitoring, logs`},
		{"account=123,errorPct=1", `must be a 12-digit account ID, got "123"`},
		{"region=,errorPct=1", "region needs a value"},
		{"function=,accessDenied=true", "function needs a value"},
		{"acessDenied=true", `unknown key "acessDenied", did you mean accessDenied?`},
		{"throtlePct=5", "did you mean throttlePct?"},
		{"zzz=1", `unknown key "zzz" (keys: service, api, account`},
		{"errorPct=1,errorPct=2", "errorPct given twice"},
		{"service=logs", "does nothing"},
		{"accessDenied=true,function=orders-api", ""},
		{"logGroup=/aws/lambda/x,queryFailPct=50", ""},
		{"accessDenied=false,throttlePct=0.5", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := sim.ParseFault(tc.in)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("ParseFault(%q) = %v, want an error containing %q", tc.in, err, tc.err)
			}
		})
	}
}

// TestParseFaultsJSON: the /_sim/faults body gets ParseFault's checks and
// messages, never a Go type name.
func TestParseFaultsJSON(t *testing.T) {
	for _, tc := range []struct {
		name, in, err string
	}{
		{"valid", `[{"service":"logs","logGroup":"/aws/lambda/x","accessDenied":true},{"throttlePct":20.5}]`, ""},
		{"string for a flag", `[{"accessDenied":"yes"}]`, `faults[0]: fault "accessDenied=yes": accessDenied must be true or false, got "yes"`},
		{"number for a flag", `[{"errorPct":1},{"queryTimeout":1}]`, `faults[1]: fault "queryTimeout=1": queryTimeout must be true or false, got "1"`},
		{"string for a number", `[{"throttlePct":"lots"}]`, `throttlePct must be a number between 0 and 100, got "lots"`},
		{"misspelt key", `[{"acessDenied":true}]`, "did you mean accessDenied?"},
		{"not an array", `{"accessDenied":true}`, "want a JSON array of objects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := sim.ParseFaultsJSON([]byte(tc.in))
			if tc.err == "" {
				if err != nil || len(fs) != 2 || !fs[0].AccessDenied || fs[0].LogGroup != "/aws/lambda/x" || fs[1].ThrottlePct != 20.5 {
					t.Fatalf("%+v, %v", fs, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			if strings.Contains(err.Error(), "Go struct") || strings.Contains(err.Error(), "sim.Fault") {
				t.Errorf("error names a Go type: %v", err)
			}
		})
	}
}
