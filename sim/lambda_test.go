package sim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// Accounts of the Lambda/STS test fleets: the management account (the
// simulator's base credentials) and a member account behind a role.
const (
	mgmtAccount   = "111111111111"
	memberAccount = "222222222222"
	memberExtID   = "lambdaudit-ext-42"
	memberRole    = "arn:aws:iam::222222222222:role/lambdaudit-member"
)

// lambdaSpec is a small fleet with one function of each configuration the
// control plane renders differently.
const lambdaSpec = `
seed: 7
accounts:
  - id: "111111111111"
    concurrencyLimit: 500
    regions:
      - name: us-east-1
        functions:
          - name: api
            runtime: nodejs22.x
            memoryMB: 512
            timeoutS: 10
            tags: {team: checkout, env: prod}
            reservedConcurrency: 50
            publishedVersions: 3
            provisionedConcurrency: 5
          - name: worker
            runtime: python3.12
            handler: app.handler
            architecture: arm64
            memoryMB: 1024
            timeoutS: 900
            ephemeralMB: 2048
            logFormat: JSON
            logGroup: /teams/ops/worker
            layers: ["arn:aws:lambda:us-east-1:111111111111:layer:common:4"]
            tags: {team: ops}
            async:
              maximumRetryAttempts: 1
              maximumEventAgeSeconds: 3600
              onFailureDestination: arn:aws:sqs:us-east-1:111111111111:ops-dlq
          - name: image-fn
            packageType: Image
            memoryMB: 2048
            reservedConcurrency: 20
            async:
              maximumRetryAttempts: 0
              deadLetterTarget: arn:aws:sqs:us-east-1:111111111111:image-dlq
          - name: plain
      - name: eu-west-1
        functions:
          - name: eu-only
  - id: "222222222222"
    externalId: lambdaudit-ext-42
    concurrencyLimit: 3000
    regions:
      - name: us-east-1
        functions:
          - name: member-fn
            tags: {team: member}
      - name: ap-east-1
        disabled: true
  - id: "333333333333"
    roleName: custom-role
    regions:
      - name: us-east-1
`

// noQuotas lifts the request-rate quotas so functional tests never wait.
func noQuotas() sim.Option {
	q := sim.DefaultQuotas()
	q.LambdaControl, q.LambdaGetFunction, q.STS, q.Tagging = 0, 0, 0, 0
	return sim.WithQuotas(q)
}

func lambdaClient(env *simtest.Env, opts ...func(*lambda.Options)) *lambda.Client {
	return lambda.NewFromConfig(env.Config, opts...)
}

// manySpec is one region of n plain functions fn-000…, every seventh with
// published versions.
func manySpec(n int) (string, int) {
	var b strings.Builder
	b.WriteString("accounts:\n  - id: \"111111111111\"\n    regions:\n      - name: us-east-1\n        functions:\n")
	versions := 0
	for i := range n {
		fmt.Fprintf(&b, "          - name: fn-%03d\n            memoryMB: %d\n", i, 128+64*(i%8))
		if i%7 == 0 {
			fmt.Fprintf(&b, "            publishedVersions: %d\n", 1+i%3)
			versions += 1 + i%3
		}
	}
	return b.String(), versions
}

// apiErr asserts err is an AWS API error with the code and returns it.
func apiErr(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s (%v), want %s", ae.ErrorCode(), err, code)
	}
	return ae
}

// httpStatus is the HTTP status of an SDK error.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestLambdaListFunctionsPagination(t *testing.T) {
	spec, published := manySpec(120)
	env := simtest.Start(t, spec, noQuotas())
	client := lambdaClient(env)
	ctx := context.Background()

	list := func(t *testing.T, in *lambda.ListFunctionsInput, opts ...func(*lambda.ListFunctionsPaginatorOptions)) (pages []int, fns []types.FunctionConfiguration) {
		t.Helper()
		p := lambda.NewListFunctionsPaginator(client, in, opts...)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("page %d: %v", len(pages)+1, err)
			}
			pages = append(pages, len(out.Functions))
			fns = append(fns, out.Functions...)
		}
		return pages, fns
	}

	t.Run("default pages of 50", func(t *testing.T) {
		env.Server.ResetAccounting()
		pages, fns := list(t, &lambda.ListFunctionsInput{})
		if !slices.Equal(pages, []int{50, 50, 20}) {
			t.Fatalf("pages = %v, want [50 50 20]", pages)
		}
		for i, fn := range fns {
			if want := fmt.Sprintf("fn-%03d", i); aws.ToString(fn.FunctionName) != want || aws.ToString(fn.Version) != "$LATEST" {
				t.Fatalf("function %d = %s %s, want %s $LATEST", i, aws.ToString(fn.FunctionName), aws.ToString(fn.Version), want)
			}
		}
		if got := env.Server.Accounting().API("lambda", "ListFunctions"); got.Calls != 3 || got.OK != 3 {
			t.Fatalf("accounting = %+v, want 3 OK calls", got)
		}
	})
	t.Run("MaxItems above 50 still pages by 50", func(t *testing.T) {
		pages, _ := list(t, &lambda.ListFunctionsInput{MaxItems: aws.Int32(10000)})
		if !slices.Equal(pages, []int{50, 50, 20}) {
			t.Fatalf("pages = %v", pages)
		}
	})
	t.Run("MaxItems 10", func(t *testing.T) {
		pages, fns := list(t, &lambda.ListFunctionsInput{}, func(o *lambda.ListFunctionsPaginatorOptions) { o.Limit = 10 })
		if len(pages) != 12 || len(fns) != 120 {
			t.Fatalf("%d pages, %d functions, want 12 and 120", len(pages), len(fns))
		}
		for i, n := range pages {
			if n != 10 {
				t.Fatalf("page %d has %d functions, want 10", i, n)
			}
		}
	})
	t.Run("FunctionVersion ALL", func(t *testing.T) {
		_, fns := list(t, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll})
		if len(fns) != 120+published {
			t.Fatalf("%d entries, want 120 + %d published versions", len(fns), published)
		}
		// fn-000 has 1 version, listed after its $LATEST with a qualified ARN.
		if v, arn := aws.ToString(fns[1].Version), aws.ToString(fns[1].FunctionArn); v != "1" || arn != "arn:aws:lambda:us-east-1:111111111111:function:fn-000:1" {
			t.Fatalf("second entry = %s %s", v, arn)
		}
		if aws.ToString(fns[0].FunctionArn) != "arn:aws:lambda:us-east-1:111111111111:function:fn-000" {
			t.Fatalf("$LATEST ARN = %s", aws.ToString(fns[0].FunctionArn))
		}
	})
	for _, tc := range []struct {
		name string
		in   *lambda.ListFunctionsInput
		code string
	}{
		{"garbage marker", &lambda.ListFunctionsInput{Marker: aws.String("not-a-marker")}, "InvalidParameterValueException"},
		{"forged marker", &lambda.ListFunctionsInput{Marker: aws.String("AQAAAAAA")}, "InvalidParameterValueException"},
		{"MaxItems 0", &lambda.ListFunctionsInput{MaxItems: aws.Int32(0)}, "ValidationException"},
		{"MaxItems 10001", &lambda.ListFunctionsInput{MaxItems: aws.Int32(10001)}, "ValidationException"},
		{"MaxItems negative", &lambda.ListFunctionsInput{MaxItems: aws.Int32(-5)}, "ValidationException"},
		{"MasterRegion without ALL", &lambda.ListFunctionsInput{MasterRegion: aws.String("us-east-1")}, "InvalidParameterValueException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.ListFunctions(ctx, tc.in)
			apiErr(t, err, tc.code)
			if s := httpStatus(err); s != 400 {
				t.Fatalf("HTTP %d, want 400", s)
			}
		})
	}
	t.Run("marker of the other mode", func(t *testing.T) {
		out, err := client.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: out.NextMarker, FunctionVersion: types.FunctionVersionAll})
		apiErr(t, err, "InvalidParameterValueException")
	})
	t.Run("MasterRegion ALL lists no Lambda@Edge replicas", func(t *testing.T) {
		out, err := client.ListFunctions(ctx, &lambda.ListFunctionsInput{MasterRegion: aws.String("ALL"), FunctionVersion: types.FunctionVersionAll})
		if err != nil || len(out.Functions) != 0 {
			t.Fatalf("out = %+v, err = %v", out, err)
		}
	})
}

func TestLambdaListFunctionsFields(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	out, err := lambdaClient(env).ListFunctions(context.Background(), &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]types.FunctionConfiguration{}
	for _, fn := range out.Functions {
		byName[aws.ToString(fn.FunctionName)] = fn
	}
	if len(byName) != 4 || out.NextMarker != nil {
		t.Fatalf("functions = %v, NextMarker = %v; want the 4 of us-east-1 in one page", slices.Sorted(mapsKeys(byName)), out.NextMarker)
	}
	region := env.Fleet.Account(mgmtAccount).Region("us-east-1")
	for _, tc := range []struct {
		name        string
		runtime     types.Runtime
		handler     string
		arch        types.Architecture
		mem, timeo  int32
		ephemeral   int32
		pkg         types.PackageType
		logFormat   types.LogFormat
		logGroup    string
		appLevel    types.ApplicationLogLevel
		layers      []string
		dlq         string
		description string
	}{
		{name: "api", runtime: "nodejs22.x", handler: "index.handler", arch: types.ArchitectureX8664, mem: 512, timeo: 10, ephemeral: 512, pkg: types.PackageTypeZip, logFormat: types.LogFormatText, logGroup: "/aws/lambda/api"},
		{name: "worker", runtime: "python3.12", handler: "app.handler", arch: types.ArchitectureArm64, mem: 1024, timeo: 900, ephemeral: 2048, pkg: types.PackageTypeZip, logFormat: types.LogFormatJson, logGroup: "/teams/ops/worker", appLevel: types.ApplicationLogLevelInfo, layers: []string{"arn:aws:lambda:us-east-1:111111111111:layer:common:4"}},
		{name: "image-fn", arch: types.ArchitectureX8664, mem: 2048, timeo: 3, ephemeral: 512, pkg: types.PackageTypeImage, logFormat: types.LogFormatText, logGroup: "/aws/lambda/image-fn", dlq: "arn:aws:sqs:us-east-1:111111111111:image-dlq"},
		{name: "plain", runtime: "nodejs22.x", handler: "index.handler", arch: types.ArchitectureX8664, mem: 128, timeo: 3, ephemeral: 512, pkg: types.PackageTypeZip, logFormat: types.LogFormatText, logGroup: "/aws/lambda/plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn, ok := byName[tc.name]
			if !ok {
				t.Fatalf("%s not listed", tc.name)
			}
			model := region.Function(tc.name)
			check := func(field string, got, want any) {
				t.Helper()
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s = %v, want %v", field, got, want)
				}
			}
			check("FunctionArn", aws.ToString(fn.FunctionArn), "arn:aws:lambda:us-east-1:111111111111:function:"+tc.name)
			check("Runtime", fn.Runtime, tc.runtime)
			check("Handler", aws.ToString(fn.Handler), tc.handler)
			check("Architectures", fn.Architectures, []types.Architecture{tc.arch})
			check("MemorySize", aws.ToInt32(fn.MemorySize), tc.mem)
			check("Timeout", aws.ToInt32(fn.Timeout), tc.timeo)
			check("EphemeralStorage", aws.ToInt32(fn.EphemeralStorage.Size), tc.ephemeral)
			check("PackageType", fn.PackageType, tc.pkg)
			check("CodeSize", fn.CodeSize, model.CodeSize)
			check("LastModified", aws.ToString(fn.LastModified), model.LastModified.UTC().Format("2006-01-02T15:04:05.000+0000"))
			check("Version", aws.ToString(fn.Version), "$LATEST")
			check("Description", fn.Description != nil && *fn.Description == "", true)
			check("TracingConfig", fn.TracingConfig.Mode, types.TracingModePassThrough)
			check("SnapStart", fmt.Sprintf("%s %s", fn.SnapStart.ApplyOn, fn.SnapStart.OptimizationStatus), "None Off")
			check("LoggingConfig.LogFormat", fn.LoggingConfig.LogFormat, tc.logFormat)
			check("LoggingConfig.LogGroup", aws.ToString(fn.LoggingConfig.LogGroup), tc.logGroup)
			check("LoggingConfig.ApplicationLogLevel", fn.LoggingConfig.ApplicationLogLevel, tc.appLevel)
			check("LoggingConfig.SystemLogLevel", fn.LoggingConfig.SystemLogLevel != "", tc.appLevel != "")
			var layers []string
			for _, l := range fn.Layers {
				layers = append(layers, aws.ToString(l.Arn))
				check("Layer.CodeSize>0", l.CodeSize > 0, true)
			}
			check("Layers", layers, tc.layers)
			dlq := ""
			if fn.DeadLetterConfig != nil {
				dlq = aws.ToString(fn.DeadLetterConfig.TargetArn)
			}
			check("DeadLetterConfig", dlq, tc.dlq)
			check("Role", strings.HasPrefix(aws.ToString(fn.Role), "arn:aws:iam::111111111111:role/"), true)
			check("CodeSha256", len(aws.ToString(fn.CodeSha256)), 44)
			check("RevisionId", len(aws.ToString(fn.RevisionId)), 36)
			// ListFunctions omits State; GetFunction has it.
			check("State", fn.State, types.State(""))
			check("LastUpdateStatus", fn.LastUpdateStatus, types.LastUpdateStatus(""))
		})
	}
}

func mapsKeys[M ~map[K]V, K comparable, V any](m M) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestLambdaGetFunction(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	client := lambdaClient(env)
	ctx := context.Background()
	const apiARN = "arn:aws:lambda:us-east-1:111111111111:function:api"
	for _, tc := range []struct {
		name, ref, qualifier string
		wantARN, wantVersion string
	}{
		{"name", "api", "", apiARN, "$LATEST"},
		{"ARN", apiARN, "", apiARN, "$LATEST"},
		{"partial ARN", "111111111111:function:api", "", apiARN, "$LATEST"},
		{"qualified ARN version", apiARN + ":2", "", apiARN + ":2", "2"},
		{"qualified ARN alias", apiARN + ":live", "", apiARN + ":live", "3"},
		{"qualified name", "api:1", "", apiARN + ":1", "1"},
		{"Qualifier parameter", "api", "3", apiARN + ":3", "3"},
		{"Qualifier $LATEST", "api", "$LATEST", apiARN + ":$LATEST", "$LATEST"},
		{"same qualifier twice", "api:2", "2", apiARN + ":2", "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &lambda.GetFunctionInput{FunctionName: aws.String(tc.ref)}
			if tc.qualifier != "" {
				in.Qualifier = aws.String(tc.qualifier)
			}
			out, err := client.GetFunction(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			c := out.Configuration
			if aws.ToString(c.FunctionArn) != tc.wantARN || aws.ToString(c.Version) != tc.wantVersion || aws.ToString(c.FunctionName) != "api" {
				t.Fatalf("Configuration = %s %s %s, want %s %s", aws.ToString(c.FunctionName), aws.ToString(c.FunctionArn), aws.ToString(c.Version), tc.wantARN, tc.wantVersion)
			}
			if c.State != types.StateActive || c.LastUpdateStatus != types.LastUpdateStatusSuccessful {
				t.Fatalf("State = %q, LastUpdateStatus = %q", c.State, c.LastUpdateStatus)
			}
			if out.Code == nil || aws.ToString(out.Code.RepositoryType) != "S3" || !strings.HasPrefix(aws.ToString(out.Code.Location), "https://awslambda-us-east-1-tasks.s3.us-east-1.amazonaws.com/") {
				t.Fatalf("Code = %+v", out.Code)
			}
			if out.Tags["team"] != "checkout" || out.Tags["env"] != "prod" || len(out.Tags) != 2 {
				t.Fatalf("Tags = %v", out.Tags)
			}
			if out.Concurrency == nil || aws.ToInt32(out.Concurrency.ReservedConcurrentExecutions) != 50 {
				t.Fatalf("Concurrency = %+v", out.Concurrency)
			}
			cfg, err := client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: in.FunctionName, Qualifier: in.Qualifier})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(cfg.FunctionArn) != tc.wantARN || cfg.State != types.StateActive || aws.ToInt32(cfg.MemorySize) != 512 {
				t.Fatalf("GetFunctionConfiguration = %s %s %d", aws.ToString(cfg.FunctionArn), cfg.State, aws.ToInt32(cfg.MemorySize))
			}
		})
	}
	t.Run("image function", func(t *testing.T) {
		out, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("image-fn")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Code.RepositoryType) != "ECR" || !strings.Contains(aws.ToString(out.Code.ImageUri), ".dkr.ecr.us-east-1.amazonaws.com/image-fn") || out.Configuration.Runtime != "" || out.Configuration.Handler != nil {
			t.Fatalf("Code = %+v, Runtime %q", out.Code, out.Configuration.Runtime)
		}
		if out.Tags != nil || aws.ToInt32(out.Concurrency.ReservedConcurrentExecutions) != 20 {
			t.Fatalf("Tags = %v, Concurrency = %+v", out.Tags, out.Concurrency)
		}
	})
	t.Run("function without reserved concurrency", func(t *testing.T) {
		out, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("plain")})
		if err != nil || out.Concurrency != nil || out.Tags != nil {
			t.Fatalf("out = %+v, err = %v", out, err)
		}
	})
	for _, tc := range []struct {
		name, ref, qualifier string
		code                 string
		status               int
		msg                  string
	}{
		{"unknown name", "nope", "", "ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:111111111111:function:nope"},
		{"unknown ARN", "arn:aws:lambda:us-east-1:111111111111:function:nope", "", "ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:111111111111:function:nope"},
		{"function of another region", "eu-only", "", "ResourceNotFoundException", 404, "Function not found"},
		{"unknown version", "api", "7", "ResourceNotFoundException", 404, "Function not found: " + apiARN + ":7"},
		{"unknown alias", "api:beta", "", "ResourceNotFoundException", 404, "Function not found: " + apiARN + ":beta"},
		{"version of a function without versions", "plain:1", "", "ResourceNotFoundException", 404, "Function not found"},
		{"conflicting qualifiers", "api:1", "2", "InvalidParameterValueException", 400, "does not match"},
		{"ARN of another region", "arn:aws:lambda:eu-west-1:111111111111:function:eu-only", "", "InvalidParameterValueException", 400, "not reachable in this region"},
		{"ARN of another account", "arn:aws:lambda:us-east-1:222222222222:function:member-fn", "", "AccessDeniedException", 403, "not authorized"},
		{"bad name", "no spaces allowed", "", "ValidationException", 400, "functionName"},
		{"bad qualifier", "api", "a.b", "ValidationException", 400, "qualifier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &lambda.GetFunctionInput{FunctionName: aws.String(tc.ref)}
			if tc.qualifier != "" {
				in.Qualifier = aws.String(tc.qualifier)
			}
			_, err := client.GetFunction(ctx, in)
			ae := apiErr(t, err, tc.code)
			if s := httpStatus(err); s != tc.status {
				t.Fatalf("HTTP %d, want %d", s, tc.status)
			}
			if !strings.Contains(ae.ErrorMessage(), tc.msg) {
				t.Fatalf("message %q lacks %q", ae.ErrorMessage(), tc.msg)
			}
		})
	}
	t.Run("typed not-found error", func(t *testing.T) {
		_, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("err = %T %v, want *types.ResourceNotFoundException", err, err)
		}
	})
}

func TestLambdaAccountSettings(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	ctx := context.Background()
	for _, tc := range []struct {
		name                 string
		region               string
		limit, unreserved    int32
		count                int64
		wantPositiveCodeSize bool
	}{
		{"functions with reserved concurrency", "us-east-1", 500, 500 - 50 - 20, 4, true},
		{"one function", "eu-west-1", 500, 500, 1, true},
		{"region without functions", "us-west-2", 500, 500, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := lambdaClient(env, func(o *lambda.Options) { o.Region = tc.region }).GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
			if err != nil {
				t.Fatal(err)
			}
			l, u := out.AccountLimit, out.AccountUsage
			if l.ConcurrentExecutions != tc.limit || aws.ToInt32(l.UnreservedConcurrentExecutions) != tc.unreserved {
				t.Fatalf("limit %d unreserved %d, want %d %d", l.ConcurrentExecutions, aws.ToInt32(l.UnreservedConcurrentExecutions), tc.limit, tc.unreserved)
			}
			if l.CodeSizeUnzipped != 262144000 || l.CodeSizeZipped != 52428800 || l.TotalCodeSize != 80530636800 {
				t.Fatalf("code limits = %+v", l)
			}
			if u.FunctionCount != tc.count || (u.TotalCodeSize > 0) != tc.wantPositiveCodeSize {
				t.Fatalf("usage = %+v", u)
			}
		})
	}
}

func TestLambdaListTags(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	client := lambdaClient(env)
	for _, tc := range []struct {
		name, arn string
		want      map[string]string
		code      string
	}{
		{"tagged", "arn:aws:lambda:us-east-1:111111111111:function:api", map[string]string{"team": "checkout", "env": "prod"}, ""},
		{"untagged", "arn:aws:lambda:us-east-1:111111111111:function:plain", map[string]string{}, ""},
		{"unknown", "arn:aws:lambda:us-east-1:111111111111:function:nope", nil, "ResourceNotFoundException"},
		{"version ARN", "arn:aws:lambda:us-east-1:111111111111:function:api:1", nil, "InvalidParameterValueException"},
		{"not an ARN", "api", nil, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := client.ListTags(context.Background(), &lambda.ListTagsInput{Resource: aws.String(tc.arn)})
			if tc.code != "" {
				apiErr(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(out.Tags) != fmt.Sprint(tc.want) {
				t.Fatalf("Tags = %v, want %v", out.Tags, tc.want)
			}
		})
	}
}

func TestLambdaConcurrencyAndAsyncConfig(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	client := lambdaClient(env)
	ctx := context.Background()
	t.Run("GetFunctionConcurrency", func(t *testing.T) {
		for _, tc := range []struct {
			fn   string
			want *int32
		}{{"api", aws.Int32(50)}, {"image-fn", aws.Int32(20)}, {"plain", nil}} {
			out, err := client.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(tc.fn)})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(aws.ToInt32(out.ReservedConcurrentExecutions)) != fmt.Sprint(aws.ToInt32(tc.want)) || (out.ReservedConcurrentExecutions == nil) != (tc.want == nil) {
				t.Fatalf("%s: ReservedConcurrentExecutions = %v, want %v", tc.fn, out.ReservedConcurrentExecutions, tc.want)
			}
		}
	})
	t.Run("ListProvisionedConcurrencyConfigs", func(t *testing.T) {
		out, err := client.ListProvisionedConcurrencyConfigs(ctx, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String("api")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.ProvisionedConcurrencyConfigs) != 1 {
			t.Fatalf("configs = %+v", out.ProvisionedConcurrencyConfigs)
		}
		pc := out.ProvisionedConcurrencyConfigs[0]
		if aws.ToString(pc.FunctionArn) != "arn:aws:lambda:us-east-1:111111111111:function:api:live" || aws.ToInt32(pc.AllocatedProvisionedConcurrentExecutions) != 5 ||
			aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions) != 5 || aws.ToInt32(pc.AvailableProvisionedConcurrentExecutions) != 5 || pc.Status != types.ProvisionedConcurrencyStatusEnumReady {
			t.Fatalf("config = %+v", pc)
		}
		none, err := client.ListProvisionedConcurrencyConfigs(ctx, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String("plain")})
		if err != nil || len(none.ProvisionedConcurrencyConfigs) != 0 {
			t.Fatalf("plain: %+v %v", none, err)
		}
		_, err = client.ListProvisionedConcurrencyConfigs(ctx, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String("api"), MaxItems: aws.Int32(51)})
		apiErr(t, err, "ValidationException")
	})
	t.Run("GetProvisionedConcurrencyConfig", func(t *testing.T) {
		out, err := client.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("api"), Qualifier: aws.String("live")})
		if err != nil || aws.ToInt32(out.AllocatedProvisionedConcurrentExecutions) != 5 {
			t.Fatalf("out = %+v, err = %v", out, err)
		}
		_, err = client.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("api"), Qualifier: aws.String("1")})
		apiErr(t, err, "ProvisionedConcurrencyConfigNotFoundException")
	})
	t.Run("GetFunctionEventInvokeConfig", func(t *testing.T) {
		out, err := client.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("worker")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt32(out.MaximumRetryAttempts) != 1 || aws.ToInt32(out.MaximumEventAgeInSeconds) != 3600 ||
			aws.ToString(out.DestinationConfig.OnFailure.Destination) != "arn:aws:sqs:us-east-1:111111111111:ops-dlq" ||
			out.DestinationConfig.OnSuccess.Destination != nil || out.LastModified == nil || out.LastModified.IsZero() {
			t.Fatalf("config = %+v", out)
		}
		img, err := client.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("image-fn")})
		if err != nil || img.MaximumRetryAttempts == nil || *img.MaximumRetryAttempts != 0 || img.MaximumEventAgeInSeconds != nil {
			t.Fatalf("image-fn: %+v %v", img, err)
		}
		for _, ref := range []string{"plain", "api", "worker:$LATEST"} {
			_, err = client.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(ref)})
			if ref == "worker:$LATEST" {
				if err != nil {
					t.Fatalf("%s: %v", ref, err)
				}
				continue
			}
			ae := apiErr(t, err, "ResourceNotFoundException")
			if httpStatus(err) != 404 || !strings.Contains(ae.ErrorMessage(), "doesn't have an EventInvokeConfig") {
				t.Fatalf("%s: HTTP %d %q", ref, httpStatus(err), ae.ErrorMessage())
			}
		}
		list, err := client.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("worker")})
		if err != nil || len(list.FunctionEventInvokeConfigs) != 1 {
			t.Fatalf("list = %+v, err = %v", list, err)
		}
	})
}

func TestLambdaVersionsAndAliases(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	client := lambdaClient(env)
	ctx := context.Background()
	t.Run("ListVersionsByFunction", func(t *testing.T) {
		for _, tc := range []struct {
			fn   string
			want []string
		}{{"api", []string{"$LATEST", "1", "2", "3"}}, {"plain", []string{"$LATEST"}}} {
			var got []string
			p := lambda.NewListVersionsByFunctionPaginator(client, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(tc.fn), MaxItems: aws.Int32(2)})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range out.Versions {
					got = append(got, aws.ToString(v.Version))
					if v.State != "" {
						t.Fatalf("a listed version carries State %q", v.State)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%s: versions %v, want %v", tc.fn, got, tc.want)
			}
		}
	})
	t.Run("ListAliases", func(t *testing.T) {
		out, err := client.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("api")})
		if err != nil || len(out.Aliases) != 1 || aws.ToString(out.Aliases[0].Name) != "live" || aws.ToString(out.Aliases[0].FunctionVersion) != "3" {
			t.Fatalf("aliases = %+v, err = %v", out, err)
		}
		out, err = client.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("api"), FunctionVersion: aws.String("1")})
		if err != nil || len(out.Aliases) != 0 {
			t.Fatalf("aliases of version 1 = %+v, err = %v", out, err)
		}
		alias, err := client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("api"), Name: aws.String("live")})
		if err != nil || aws.ToString(alias.AliasArn) != "arn:aws:lambda:us-east-1:111111111111:function:api:live" {
			t.Fatalf("alias = %+v, err = %v", alias, err)
		}
		_, err = client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("plain"), Name: aws.String("live")})
		apiErr(t, err, "ResourceNotFoundException")
	})
}

func TestLambdaUnknownFunction(t *testing.T) {
	env := simtest.Start(t, lambdaSpec, noQuotas())
	client := lambdaClient(env)
	ctx := context.Background()
	name := aws.String("does-not-exist")
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"GetFunction", func() error {
			_, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: name})
			return err
		}},
		{"GetFunctionConfiguration", func() error {
			_, err := client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: name})
			return err
		}},
		{"GetFunctionConcurrency", func() error {
			_, err := client.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: name})
			return err
		}},
		{"ListProvisionedConcurrencyConfigs", func() error {
			_, err := client.ListProvisionedConcurrencyConfigs(ctx, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: name})
			return err
		}},
		{"GetFunctionEventInvokeConfig", func() error {
			_, err := client.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: name})
			return err
		}},
		{"ListVersionsByFunction", func() error {
			_, err := client.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: name})
			return err
		}},
		{"ListAliases", func() error {
			_, err := client.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: name})
			return err
		}},
		{"ListTags", func() error {
			_, err := client.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String("arn:aws:lambda:us-east-1:111111111111:function:does-not-exist")})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			ae := apiErr(t, err, "ResourceNotFoundException")
			if httpStatus(err) != 404 || ae.ErrorMessage() != "Function not found: arn:aws:lambda:us-east-1:111111111111:function:does-not-exist" {
				t.Fatalf("HTTP %d, message %q", httpStatus(err), ae.ErrorMessage())
			}
		})
	}
}

func TestLambdaThrottling(t *testing.T) {
	q := sim.DefaultQuotas()
	q.LambdaControl = 2
	spec, _ := manySpec(3)
	ctx := context.Background()
	const burst = 8
	t.Run("standard retryer absorbs throttles", func(t *testing.T) {
		env := simtest.Start(t, spec, sim.WithQuotas(q))
		// The SDK's standard retryer, given room for the 2/s bucket to
		// refill: with its default 3 attempts and jittered back-off a burst
		// of 8 against 2/s can exhaust a call's attempts.
		client := lambdaClient(env, func(o *lambda.Options) {
			o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.MaxAttempts = 10; so.MaxBackoff = 2 * time.Second })
		})
		errs := make(chan error, burst)
		for range burst {
			go func() {
				_, err := client.ListFunctions(ctx, &lambda.ListFunctionsInput{})
				errs <- err
			}()
		}
		for range burst {
			if err := <-errs; err != nil {
				t.Fatalf("a call failed despite retries: %v", err)
			}
		}
		acct := env.Server.Accounting().API("lambda", "ListFunctions")
		if acct.Throttled == 0 || acct.OK != burst {
			t.Fatalf("accounting = %+v, want %d OK and some throttled", acct, burst)
		}
	})
	t.Run("no retries surfaces TooManyRequestsException", func(t *testing.T) {
		env := simtest.Start(t, spec, sim.WithQuotas(q))
		client := lambdaClient(env, func(o *lambda.Options) { o.Retryer = retry.AddWithMaxAttempts(retry.NewStandard(), 1) })
		var throttled error
		for range burst {
			if _, err := client.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
				throttled = err
				break
			}
		}
		ae := apiErr(t, throttled, "TooManyRequestsException")
		var tmr *types.TooManyRequestsException
		if !errors.As(throttled, &tmr) || httpStatus(throttled) != http.StatusTooManyRequests || aws.ToString(tmr.RetryAfterSeconds) != "1" || tmr.Reason != types.ThrottleReasonCallerRateLimitExceeded {
			t.Fatalf("err = %v (HTTP %d, %+v)", ae, httpStatus(throttled), tmr)
		}
		// GetFunction has its own 100/s bucket: unaffected.
		if _, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn-000")}); err != nil {
			t.Fatalf("GetFunction throttled with the control-plane bucket: %v", err)
		}
	})
}
