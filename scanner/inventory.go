package scanner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"

	"github.com/lambdaudit/lambdaudit/metrics"
)

// listPageSize is ListFunctions' MaxItems: Lambda returns at most 50
// functions a page whatever is asked, so 10,000 functions take 200 calls.
const listPageSize = 50

// tagsPageSize is GetResources' ResourcesPerPage maximum.
const tagsPageSize = 100

// lambdaInsightsLayer marks the CloudWatch Lambda Insights extension's
// layer ARN (arn:aws:lambda:<region>:580247275435:layer:LambdaInsightsExtension[-Arm64]:<version>).
const lambdaInsightsLayer = ":layer:LambdaInsightsExtension"

// Consumer interfaces of the inventory, with the SDK's signatures (the
// SDK's paginators accept them).
type (
	// LambdaAPI is the Lambda control plane the inventory reads.
	LambdaAPI interface {
		ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
		GetAccountSettings(ctx context.Context, in *lambda.GetAccountSettingsInput, optFns ...func(*lambda.Options)) (*lambda.GetAccountSettingsOutput, error)
		ListProvisionedConcurrencyConfigs(ctx context.Context, in *lambda.ListProvisionedConcurrencyConfigsInput, optFns ...func(*lambda.Options)) (*lambda.ListProvisionedConcurrencyConfigsOutput, error)
	}
	// TaggingAPI is the Resource Groups Tagging API's GetResources.
	TaggingAPI interface {
		GetResources(ctx context.Context, in *resourcegroupstaggingapi.GetResourcesInput, optFns ...func(*resourcegroupstaggingapi.Options)) (*resourcegroupstaggingapi.GetResourcesOutput, error)
	}
)

// Inventory reads one account × region's functions and settings.
type Inventory struct {
	pair    Pair
	lambda  LambdaAPI
	tagging TaggingAPI
}

// NewInventory is the inventory of a pair through clients built from the
// pair's configuration (Sessions.Config).
func NewInventory(cfg aws.Config, p Pair) *Inventory {
	return NewInventoryWith(p, lambda.NewFromConfig(cfg), resourcegroupstaggingapi.NewFromConfig(cfg))
}

// NewInventoryWith is the inventory of a pair through the given clients.
func NewInventoryWith(p Pair, l LambdaAPI, t TaggingAPI) *Inventory {
	return &Inventory{pair: p, lambda: l, tagging: t}
}

// FunctionConfig is one function as ListFunctions describes it: every
// field the insights use.
type FunctionConfig struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Name    string `json:"name"`
	ARN     string `json:"arn"`
	// Runtime is empty for container images.
	Runtime string `json:"runtime"`
	// Architecture is x86_64 (the default when Lambda omits it) or arm64.
	Architecture string `json:"architecture"`
	MemoryMB     int    `json:"memoryMB"`
	TimeoutS     int    `json:"timeoutS"`
	// EphemeralMB is /tmp's size (512 when Lambda omits it).
	EphemeralMB int `json:"ephemeralMB"`
	// PackageType is Zip or Image.
	PackageType  string    `json:"packageType"`
	LastModified time.Time `json:"lastModified"`
	// LogGroup is LoggingConfig.LogGroup, "/aws/lambda/<name>" by default;
	// LogFormat is Text (default) or JSON.
	LogGroup  string `json:"logGroup"`
	LogFormat string `json:"logFormat"`
	// Layers are the layer version ARNs; LambdaInsightsLayer is whether
	// one of them is the Lambda Insights extension (a hint: whether the
	// LambdaInsights namespace has data is for ListMetrics to say).
	Layers              []string `json:"layers,omitempty"`
	LambdaInsightsLayer bool     `json:"lambdaInsightsLayer"`
	// CodeSize is the deployment package's size in bytes.
	CodeSize int64 `json:"codeSize"`
	// CapacityProviderARN is CapacityProviderConfig's Lambda Managed
	// Instances capacity provider; empty for an on-demand function.
	CapacityProviderARN string `json:"capacityProviderArn,omitempty"`
}

// ID is the function's stable key in a scan: "account/region/name".
func (f *FunctionConfig) ID() string { return f.Account + "/" + f.Region + "/" + f.Name }

// Function is the scan result's entry for the function, before any
// metric, log or tag is known.
func (f *FunctionConfig) Function() Function {
	return Function{
		ID: f.ID(), Account: f.Account, Region: f.Region, Name: f.Name, ARN: f.ARN,
		Runtime: f.Runtime, Architecture: f.Architecture, PackageType: f.PackageType,
		MemoryMB: f.MemoryMB, TimeoutS: f.TimeoutS, EphemeralMB: f.EphemeralMB,
		LastModified: f.LastModified, LogGroup: f.LogGroup, LogFormat: f.LogFormat,
		LambdaInsights: f.LambdaInsightsLayer, CapacityProviderARN: f.CapacityProviderARN,
	}
}

// metricsFunction is what the metrics stage needs about a listed
// function. LambdaInsights is left to metrics discovery (ListMetrics),
// which knows whether the namespace really has the function's data.
func (f *Function) metricsFunction() metrics.Function {
	return metrics.Function{ID: f.ID, Name: f.Name, LogGroup: f.LogGroup, LogFormat: f.LogFormat}
}

// functionConfig maps ListFunctions' entry, filling Lambda's defaults.
func functionConfig(p Pair, c *lambdatypes.FunctionConfiguration) FunctionConfig {
	f := FunctionConfig{
		Account: p.Account, Region: p.Region,
		Name: aws.ToString(c.FunctionName), ARN: aws.ToString(c.FunctionArn),
		Runtime: string(c.Runtime), Architecture: string(lambdatypes.ArchitectureX8664),
		MemoryMB: int(aws.ToInt32(c.MemorySize)), TimeoutS: int(aws.ToInt32(c.Timeout)),
		EphemeralMB: 512, PackageType: string(c.PackageType), CodeSize: c.CodeSize,
		LogFormat: string(lambdatypes.LogFormatText),
	}
	if len(c.Architectures) > 0 {
		f.Architecture = string(c.Architectures[0])
	}
	if c.EphemeralStorage != nil && c.EphemeralStorage.Size != nil {
		f.EphemeralMB = int(*c.EphemeralStorage.Size)
	}
	if f.PackageType == "" {
		f.PackageType = string(lambdatypes.PackageTypeZip)
	}
	if t, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(c.LastModified)); err == nil {
		f.LastModified = t.UTC()
	}
	if lc := c.LoggingConfig; lc != nil {
		f.LogGroup = aws.ToString(lc.LogGroup)
		if lc.LogFormat != "" {
			f.LogFormat = string(lc.LogFormat)
		}
	}
	if f.LogGroup == "" {
		f.LogGroup = "/aws/lambda/" + f.Name
	}
	if cp := c.CapacityProviderConfig; cp != nil && cp.LambdaManagedInstancesCapacityProviderConfig != nil {
		f.CapacityProviderARN = aws.ToString(cp.LambdaManagedInstancesCapacityProviderConfig.CapacityProviderArn)
	}
	for _, l := range c.Layers {
		arn := aws.ToString(l.Arn)
		f.Layers = append(f.Layers, arn)
		f.LambdaInsightsLayer = f.LambdaInsightsLayer || strings.Contains(arn, lambdaInsightsLayer)
	}
	return f
}

// ListFunctionConfigs lists every function of the pair, calling page with
// each ListFunctions page as it arrives (so the caller can pipeline work
// behind the listing); an error from page stops the listing and is
// returned. It makes exactly ceil(n/50) calls for n > 0 functions.
//
// FunctionVersion is left unset, so Lambda lists each function once, at
// $LATEST: with ALL it would list every published version too (one entry
// per version: more pages for configurations nobody asked for), while the
// metrics lambdaudit reads are keyed by function name and cover all
// versions. A function whose alias serves an older version with another
// memory or timeout is judged on $LATEST's configuration.
func (inv *Inventory) ListFunctionConfigs(ctx context.Context, page func([]FunctionConfig) error) error {
	p := lambda.NewListFunctionsPaginator(inv.lambda, &lambda.ListFunctionsInput{}, func(o *lambda.ListFunctionsPaginatorOptions) {
		o.Limit = listPageSize
	})
	listed := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return inv.fail(fmt.Sprintf("lambda:ListFunctions (after %d functions)", listed), err)
		}
		fns := make([]FunctionConfig, len(out.Functions))
		for i := range out.Functions {
			fns[i] = functionConfig(inv.pair, &out.Functions[i])
		}
		listed += len(fns)
		if err := page(fns); err != nil {
			return err
		}
	}
	return nil
}

// ListFunctions is ListFunctionConfigs with each page as the scan
// result's entries.
func (inv *Inventory) ListFunctions(ctx context.Context, page func([]Function) error) error {
	return inv.ListFunctionConfigs(ctx, func(cfgs []FunctionConfig) error {
		fns := make([]Function, len(cfgs))
		for i := range cfgs {
			fns[i] = cfgs[i].Function()
		}
		return page(fns)
	})
}

// AccountSettings are the account's Lambda limits in the region.
type AccountSettings struct {
	// ConcurrencyLimit is the account's concurrent executions limit;
	// UnreservedConcurrencyLimit what is left of it after the functions'
	// reserved concurrency.
	ConcurrencyLimit           int `json:"concurrencyLimit"`
	UnreservedConcurrencyLimit int `json:"unreservedConcurrencyLimit"`
}

// AccountSettings reads GetAccountSettings.
func (inv *Inventory) AccountSettings(ctx context.Context) (*AccountSettings, error) {
	out, err := inv.lambda.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		return nil, inv.fail("lambda:GetAccountSettings", err)
	}
	s := &AccountSettings{}
	if l := out.AccountLimit; l != nil {
		s.ConcurrencyLimit = int(l.ConcurrentExecutions)
		s.UnreservedConcurrencyLimit = int(aws.ToInt32(l.UnreservedConcurrentExecutions))
	}
	return s, nil
}

// Tags reads every tagged function's tags in bulk, keyed by function
// ARN, through the Resource Groups Tagging API (GetResources for
// lambda:function, 100 a page): 10,000 functions take at most 100 calls
// instead of 10,000 ListTags. Untagged functions are absent.
func (inv *Inventory) Tags(ctx context.Context) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	p := resourcegroupstaggingapi.NewGetResourcesPaginator(inv.tagging, &resourcegroupstaggingapi.GetResourcesInput{
		ResourceTypeFilters: []string{"lambda:function"},
		ResourcesPerPage:    aws.Int32(tagsPageSize),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, inv.fail("tag:GetResources", err)
		}
		for _, m := range page.ResourceTagMappingList {
			tags := make(map[string]string, len(m.Tags))
			for _, t := range m.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			out[aws.ToString(m.ResourceARN)] = tags
		}
	}
	return out, nil
}

// ProvisionedConcurrency sums, for each named function, the provisioned
// concurrency allocated over its aliases and versions
// (ListProvisionedConcurrencyConfigs, paginated). Only the functions
// given are asked — the ones whose metrics show provisioned concurrency —
// one call each. The map holds the functions that answered (0 for none
// configured); the error joins the others' *TargetErrors. A failure that
// would fail every call (access denied, region disabled, credentials)
// stops at once, with the rest failed for the same reason.
func (inv *Inventory) ProvisionedConcurrency(ctx context.Context, names []string) (map[string]int, error) {
	out := map[string]int{}
	var errs []error
	for i, name := range names {
		total, err := inv.provisioned(ctx, name)
		if err == nil {
			out[name] = total
			continue
		}
		errs = append(errs, err)
		if errors.Is(err, ErrAccessDenied) || errors.Is(err, ErrRegionDisabled) || errors.Is(err, ErrExpiredCredentials) ||
			errors.Is(err, ErrInvalidCredentials) || ctx.Err() != nil {
			if rest := len(names) - i - 1; rest > 0 {
				errs = append(errs, fmt.Errorf("%d more functions not asked: %w", rest, err))
			}
			break
		}
	}
	return out, errors.Join(errs...)
}

func (inv *Inventory) provisioned(ctx context.Context, name string) (int, error) {
	total := 0
	p := lambda.NewListProvisionedConcurrencyConfigsPaginator(inv.lambda, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String(name)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return 0, inv.fail("lambda:ListProvisionedConcurrencyConfigs "+name, err)
		}
		for _, c := range out.ProvisionedConcurrencyConfigs {
			total += int(aws.ToInt32(c.AllocatedProvisionedConcurrentExecutions))
		}
	}
	return total, nil
}

// fail is a pair-level error with its reason.
func (inv *Inventory) fail(op string, err error) error {
	return &TargetError{Account: inv.pair.Account, Region: inv.pair.Region, Op: op, Err: describe(err, true)}
}
