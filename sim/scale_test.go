package sim_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// vmHWM reads the process's peak resident set size in MB (Linux).
func vmHWM() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// gmd500 is one GetMetricData call of 500 queries: 7 per function over
// 15 daily datapoints, the shape lambdaudit's scanner sends.
func gmd500(fns []*fleet.Function, start, end time.Time) *cloudwatch.GetMetricDataInput {
	metrics := []string{"Invocations", "Errors", "Throttles", "Duration", "Duration", "Duration", "ConcurrentExecutions"}
	stats := []string{"Sum", "Sum", "Sum", "Sum", "Maximum", "p99", "Maximum"}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(end)}
	for i := 0; len(in.MetricDataQueries) < 500; i++ {
		fn := fns[i/len(metrics)%len(fns)]
		k := i % len(metrics)
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
			Id: aws.String(fmt.Sprintf("q%d", i)),
			MetricStat: &cwtypes.MetricStat{Period: aws.Int32(86400), Stat: aws.String(stats[k]), Metric: &cwtypes.Metric{
				Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(metrics[k]),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(fn.FunctionSpec.Name)}},
			}},
		})
	}
	return in
}

// BenchmarkServe100k builds a 100,000-function generated fleet, serves it,
// and per op lists 1,000 functions (20 ListFunctions pages) and answers
// one 500-query GetMetricData through the real SDK clients, with quotas
// and latency off so the figures are the simulator's own cost. It reports
// the heap in use after a GC and the process's peak RSS.
func BenchmarkServe100k(b *testing.B) {
	spec := &fleet.Spec{Seed: 1, Generate: &fleet.GeneratorSpec{Functions: 100000, Mix: map[string]float64{"near-timeout": 0.01, "cold-starts": 0.01}}}
	if err := spec.Validate(); err != nil {
		b.Fatal(err)
	}
	f, err := fleet.Build(spec, simtest.Now)
	if err != nil {
		b.Fatal(err)
	}
	var q sim.Quotas // all zero: unlimited
	env := simtest.StartFleet(b, f, sim.WithQuotas(q))
	lc := lambda.NewFromConfig(env.Config)
	cw := cloudwatch.NewFromConfig(env.Config)
	fns := f.Accounts[0].Regions[0].Functions
	end := f.Anchor
	start := end.Add(-15 * 24 * time.Hour)
	ctx := context.Background()
	b.ResetTimer()
	off := 0
	for b.Loop() {
		p := lambda.NewListFunctionsPaginator(lc, &lambda.ListFunctionsInput{})
		for i := 0; i < 20 && p.HasMorePages(); i++ {
			if _, err := p.NextPage(ctx); err != nil {
				b.Fatal(err)
			}
		}
		// A different slice of functions each op: a cold day cache, as in a scan.
		out, err := cw.GetMetricData(ctx, gmd500(fns[off%len(fns):], start, end))
		off += 72
		if err != nil {
			b.Fatal(err)
		}
		if len(out.MetricDataResults) != 500 {
			b.Fatalf("%d results", len(out.MetricDataResults))
		}
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(vmHWM(), "peak-rss-MB")
}
