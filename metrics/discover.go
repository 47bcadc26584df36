package metrics

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// ListMetricsAPI is the one CloudWatch call Discover makes, with the
// SDK's exact signature.
type ListMetricsAPI interface {
	ListMetrics(ctx context.Context, in *cloudwatch.ListMetricsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error)
}

// Discovery is what ListMetrics found in one account-region: per
// function name, the optional metrics the function emits. ListMetrics
// only lists metrics with data in the last two weeks, so a metric last
// seen before that is not queried.
type Discovery struct {
	// Optional maps a function name to the optional AWS/Lambda metrics
	// found for it, in OptionalMetrics order.
	Optional map[string][]string
	// LambdaInsights holds the functions with LambdaInsights metrics.
	LambdaInsights map[string]bool
	// Pages is the ListMetrics calls that succeeded.
	Pages int
}

// discoverTarget is one ListMetrics enumeration.
type discoverTarget struct {
	ns, name, dim string
}

// discoverTargets: one per optional AWS/Lambda metric, and one for the
// LambdaInsights namespace (every function with the extension emits
// used_memory_max).
func discoverTargets() []discoverTarget {
	ts := make([]discoverTarget, 0, len(optionalMetrics)+1)
	for _, f := range optionalMetrics {
		ts = append(ts, discoverTarget{f.ns, f.name, f.dim})
	}
	return append(ts, discoverTarget{nsInsights, "used_memory_max", dimInsights})
}

// Discover finds which functions of the client's account-region have
// each optional metric: one paginated ListMetrics per metric name
// (filtered by namespace, metric name and the dimension name), not one
// call per function, run concurrently. Only series whose sole dimension
// is the function name count: the same metric name also exists per
// alias or version (FunctionName + Resource), and those are not what the
// plan queries. Any failed page fails the discovery, wrapped; the caller
// retries it.
func Discover(ctx context.Context, api ListMetricsAPI) (*Discovery, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	targets := discoverTargets()
	found := make([][]string, len(targets))
	pages := make([]int, len(targets))
	// The first failure wins; the others' are the cancellation it caused.
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			var err error
			if found[i], pages[i], err = listFunctions(ctx, api, t); err != nil {
				once.Do(func() { first = err })
				cancel()
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	d := &Discovery{Optional: map[string][]string{}, LambdaInsights: map[string]bool{}}
	for i, t := range targets {
		d.Pages += pages[i]
		for _, fn := range found[i] {
			if t.ns == nsInsights {
				d.LambdaInsights[fn] = true
				continue
			}
			// targets run in OptionalMetrics order, so appends keep it
			if o := d.Optional[fn]; !slices.Contains(o, t.name) {
				d.Optional[fn] = append(o, t.name)
			}
		}
	}
	return d, nil
}

// listFunctions lists the function names with a series of t whose only
// dimension is the function name.
func listFunctions(ctx context.Context, api ListMetricsAPI, t discoverTarget) ([]string, int, error) {
	in := &cloudwatch.ListMetricsInput{
		Namespace:  aws.String(t.ns),
		MetricName: aws.String(t.name),
		Dimensions: []types.DimensionFilter{{Name: aws.String(t.dim)}},
	}
	var out []string
	pages, prev := 0, ""
	p := cloudwatch.NewListMetricsPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, pages, fmt.Errorf("metrics: ListMetrics %s %s, page %d: %w", t.ns, t.name, pages+1, err)
		}
		pages++
		for _, m := range page.Metrics {
			if len(m.Dimensions) == 1 && aws.ToString(m.Dimensions[0].Name) == t.dim && aws.ToString(m.MetricName) == t.name {
				out = append(out, aws.ToString(m.Dimensions[0].Value))
			}
		}
		tok := aws.ToString(page.NextToken)
		if tok != "" && tok == prev {
			return nil, pages, fmt.Errorf("metrics: ListMetrics %s %s, page %d: the same NextToken twice", t.ns, t.name, pages)
		}
		prev = tok
	}
	return out, pages, nil
}

// Has reports whether ListMetrics found the optional metric (a name of
// OptionalMetrics, or LambdaInsightsKey) for the function.
func (d *Discovery) Has(function, metric string) bool {
	if metric == LambdaInsightsKey {
		return d.LambdaInsights[function]
	}
	return slices.Contains(d.Optional[function], metric)
}

// Apply sets each function's Optional and LambdaInsights from the
// discovery, by name; fns must be of the discovery's account-region.
func (d *Discovery) Apply(fns []Function) {
	for i := range fns {
		fns[i].Optional = slices.Clone(d.Optional[fns[i].Name])
		fns[i].LambdaInsights = d.LambdaInsights[fns[i].Name]
	}
}
