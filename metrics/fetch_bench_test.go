package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lambdaudit/lambdaudit/metrics"
)

// cwBenchFleet is n functions: every tenth a stream consumer, every
// twentieth with LambdaInsights, every fiftieth async.
func cwBenchFleet(n int) []metrics.Function {
	fns := make([]metrics.Function, n)
	for i := range fns {
		name := fmt.Sprintf("payments-api-process-%d", i)
		fns[i] = metrics.Function{ID: "123456789012/us-east-1/" + name, Name: name}
		switch {
		case i%10 == 0:
			fns[i].Optional = []string{"IteratorAge"}
		case i%50 == 1:
			fns[i].Optional = []string{"AsyncEventsReceived", "AsyncEventAge", "AsyncEventsDropped", "DeadLetterErrors"}
		}
		fns[i].LambdaInsights = i%20 == 5
	}
	return fns
}

// BenchmarkPlan10k plans the queries of 10,000 functions.
func BenchmarkPlan10k(b *testing.B) {
	fns := cwBenchFleet(10000)
	var n int
	for b.Loop() {
		p, err := metrics.NewPlan(cwWindow, fns)
		if err != nil {
			b.Fatal(err)
		}
		n = len(p.Queries)
	}
	b.ReportMetric(float64(n), "queries")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(fns)), "ns/function")
}

// cwStaticGMD answers every call with the same page.
type cwStaticGMD struct {
	out *cloudwatch.GetMetricDataOutput
}

func (s cwStaticGMD) GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	return s.out, nil
}

// BenchmarkFetchMap500 maps a complete 500-query, 15-day answer (7,500
// datapoints) back to series: the client-side cost of one batch.
func BenchmarkFetchMap500(b *testing.B) {
	p, err := metrics.NewPlan(cwWindow, cwBenchFleet(100))
	if err != nil {
		b.Fatal(err)
	}
	batch, err := metrics.NewBatch(cwWindow, p.Queries[:metrics.MaxQueries])
	if err != nil {
		b.Fatal(err)
	}
	ts := make([]time.Time, cwWindow.Days)
	for d := range ts {
		ts[d] = cwWindow.DayStart(cwWindow.Days - 1 - d) // newest first, as CloudWatch's default
	}
	out := &cloudwatch.GetMetricDataOutput{}
	for i := range batch.Queries {
		vs := make([]float64, len(ts))
		for d := range vs {
			vs[d] = float64(i*100 + d)
		}
		out.MetricDataResults = append(out.MetricDataResults, types.MetricDataResult{
			Id: aws.String(fmt.Sprintf("q%d", i)), StatusCode: types.StatusCodeComplete, Timestamps: ts, Values: vs})
	}
	api := cwStaticGMD{out}
	ctx := context.Background()
	for b.Loop() {
		res, err := metrics.Fetch(ctx, api, batch)
		if err != nil {
			b.Fatal(err)
		}
		if res.Datapoints != 7500 {
			b.Fatalf("%d datapoints", res.Datapoints)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/7500, "ns/datapoint")
}

// BenchmarkBatchJSON500 encodes and decodes a 500-query unit body.
func BenchmarkBatchJSON500(b *testing.B) {
	p, err := metrics.NewPlan(cwWindow, cwBenchFleet(100))
	if err != nil {
		b.Fatal(err)
	}
	batch, err := metrics.NewBatch(cwWindow, p.Queries[:metrics.MaxQueries])
	if err != nil {
		b.Fatal(err)
	}
	var size int
	for b.Loop() {
		body, err := json.Marshal(batch)
		if err != nil {
			b.Fatal(err)
		}
		var back metrics.Batch
		if err := json.Unmarshal(body, &back); err != nil {
			b.Fatal(err)
		}
		size = len(body)
	}
	b.ReportMetric(float64(size), "bytes")
}
