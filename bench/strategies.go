package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// The metrics the comparison strategies fetch per function: what a
// typical Lambda dashboard shows, and the core of lambdaudit's set.
var baseline = []struct{ metric, stat string }{
	{"Invocations", "Sum"}, {"Errors", "Sum"}, {"Throttles", "Sum"},
	{"Duration", "Sum"}, {"Duration", "Maximum"}, {"Duration", "p99"},
	{"ConcurrentExecutions", "Maximum"},
}

// maxConns caps HTTP connections per host for the comparison strategies:
// the client and the simulated account share one process and its file
// descriptors. It does not bound the strategies' concurrency (requests
// queue for a connection), only the sockets.
const maxConns = 2048

func httpClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxConnsPerHost = maxConns
		t.MaxIdleConnsPerHost = maxConns
	})
}

// listNames lists every function of the region with the SDK paginator.
func listNames(ctx context.Context, cfg aws.Config) ([]string, int, error) {
	p := lambda.NewListFunctionsPaginator(lambda.NewFromConfig(cfg), &lambda.ListFunctionsInput{MaxItems: aws.Int32(50)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return names, pages, fmt.Errorf("list functions: %w", err)
		}
		pages++
		for _, f := range out.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
	}
	return names, pages, nil
}

// listForComparison is how both comparison strategies start: an SDK
// config with the default retryer, every function listed, and the data
// they fetch for the floor (the baseline metrics of every function).
func listForComparison(ctx context.Context, env *Env) (*cloudwatch.Client, []string, Outcome, error) {
	cfg, err := env.AWSConfig(ctx, httpClient())
	if err != nil {
		return nil, nil, Outcome{}, err
	}
	names, pages, err := listNames(ctx, cfg)
	out := Outcome{Functions: len(names), Need: Need{ListFunctionsPages: pages, Queries: len(names) * len(baseline)}}
	return cloudwatch.NewFromConfig(cfg), names, out, err
}

func window(now time.Time) (start, end time.Time) {
	end = now.UTC().Truncate(24 * time.Hour)
	return end.Add(-15 * 24 * time.Hour), end
}

// NaiveStrategy is the per-function pitfall: after listing, one goroutine
// per function, each making one GetMetricStatistics call per metric
// (Statistics and ExtendedStatistics cannot share a call, so Duration
// takes two), all at once, with the SDK's default retryer and no rate
// limiter.
func NaiveStrategy(ctx context.Context, env *Env) (Outcome, error) {
	cw, names, out, err := listForComparison(ctx, env)
	if err != nil {
		return out, err
	}
	start, end := window(env.Now)
	type call struct {
		metric string
		stats  []cwtypes.Statistic
		ext    []string
	}
	calls := []call{
		{"Invocations", []cwtypes.Statistic{cwtypes.StatisticSum}, nil},
		{"Errors", []cwtypes.Statistic{cwtypes.StatisticSum}, nil},
		{"Throttles", []cwtypes.Statistic{cwtypes.StatisticSum}, nil},
		{"Duration", []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticMaximum}, nil},
		{"Duration", nil, []string{"p99"}},
		{"ConcurrentExecutions", []cwtypes.Statistic{cwtypes.StatisticMaximum}, nil},
	}
	var failed atomic.Int64
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok := true
			for _, c := range calls {
				_, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
					Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(c.metric),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(name)}},
					StartTime:  aws.Time(start), EndTime: aws.Time(end), Period: aws.Int32(86400),
					Statistics: c.stats, ExtendedStatistics: c.ext,
				})
				// A failed metric does not stop the others: the function
				// is reported failed, with whatever else came back.
				ok = ok && err == nil
			}
			if !ok {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	out.Failed = int(failed.Load())
	return out, ctx.Err()
}

// FixedConcurrencyStrategy is how the popular CloudWatch exporter fetches:
// the same metrics packed 500 queries to a GetMetricData call, 5 calls in
// flight at a time, the SDK's default retryer, and no rate limiter.
func FixedConcurrencyStrategy(ctx context.Context, env *Env) (Outcome, error) {
	cw, names, out, err := listForComparison(ctx, env)
	if err != nil {
		return out, err
	}
	start, end := window(env.Now)
	// Query IDs restart at q0 in every call; query i belongs to function
	// i / len(baseline).
	var queries []cwtypes.MetricDataQuery
	for _, name := range names {
		for _, m := range baseline {
			id := "q" + strconv.Itoa(len(queries)%500)
			queries = append(queries, cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
				Period: aws.Int32(86400), Stat: aws.String(m.stat),
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(m.metric),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(name)}}},
			}})
		}
	}
	failedFn := make([]atomic.Bool, len(names))
	sem := make(chan struct{}, 5)
	var wg sync.WaitGroup
	for first := 0; first < len(queries); first += 500 {
		batch := queries[first:min(first+500, len(queries))]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			p := cloudwatch.NewGetMetricDataPaginator(cw, &cloudwatch.GetMetricDataInput{
				MetricDataQueries: batch, StartTime: aws.Time(start), EndTime: aws.Time(end)})
			for p.HasMorePages() {
				if _, err := p.NextPage(ctx); err != nil {
					for q := first; q < first+len(batch); q++ {
						failedFn[q/len(baseline)].Store(true)
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range failedFn {
		if failedFn[i].Load() {
			out.Failed++
		}
	}
	return out, ctx.Err()
}
