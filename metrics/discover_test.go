package metrics_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lambdaudit/lambdaudit/metrics"
)

// cwFakeList serves ListMetrics from a list of metrics, filtering like
// CloudWatch (namespace, metric name, dimension names) and paging by
// pageSize. It records the requests.
type cwFakeList struct {
	metrics  []types.Metric
	pageSize int
	fail     map[string]error // metric name → error
	repeat   bool             // answer every page with the same token

	mu  sync.Mutex
	ins []cloudwatch.ListMetricsInput
}

func (f *cwFakeList) ListMetrics(ctx context.Context, in *cloudwatch.ListMetricsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error) {
	f.mu.Lock()
	f.ins = append(f.ins, *in)
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := f.fail[aws.ToString(in.MetricName)]; err != nil {
		return nil, err
	}
	var match []types.Metric
	for _, m := range f.metrics {
		if aws.ToString(in.Namespace) != aws.ToString(m.Namespace) || aws.ToString(in.MetricName) != aws.ToString(m.MetricName) {
			continue
		}
		ok := true
		for _, want := range in.Dimensions {
			ok = ok && slices.ContainsFunc(m.Dimensions, func(d types.Dimension) bool { return aws.ToString(d.Name) == aws.ToString(want.Name) })
		}
		if ok {
			match = append(match, m)
		}
	}
	start := 0
	if in.NextToken != nil {
		start = min(len(*in.NextToken), len(match))
	}
	end := min(start+f.pageSize, len(match))
	out := &cloudwatch.ListMetricsOutput{Metrics: match[start:end]}
	if end < len(match) || f.repeat {
		out.NextToken = aws.String(strings.Repeat("x", end))
		if f.repeat {
			out.NextToken = aws.String("x")
		}
	}
	return out, nil
}

var _ cloudwatch.ListMetricsAPIClient = (*cwFakeList)(nil)

func cwMetric(ns, name string, dims ...string) types.Metric {
	m := types.Metric{Namespace: aws.String(ns), MetricName: aws.String(name)}
	for i := 0; i+1 < len(dims); i += 2 {
		m.Dimensions = append(m.Dimensions, types.Dimension{Name: aws.String(dims[i]), Value: aws.String(dims[i+1])})
	}
	return m
}

func TestDiscoverFake(t *testing.T) {
	var ms []types.Metric
	// 7 stream consumers: more than one page of 3.
	for _, fn := range []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7"} {
		ms = append(ms, cwMetric("AWS/Lambda", "IteratorAge", "FunctionName", fn))
	}
	ms = append(ms,
		// Per alias or version only: not the function's own series.
		cwMetric("AWS/Lambda", "IteratorAge", "FunctionName", "aliased", "Resource", "aliased:live"),
		cwMetric("AWS/Lambda", "ProvisionedConcurrencyUtilization", "FunctionName", "pc", "Resource", "pc:live"),
		cwMetric("AWS/Lambda", "ProvisionedConcurrencyInvocations", "FunctionName", "pc", "Resource", "pc:live"),
		cwMetric("AWS/Lambda", "ProvisionedConcurrencyInvocations", "FunctionName", "pc"),
		cwMetric("AWS/Lambda", "AsyncEventsReceived", "FunctionName", "async"),
		cwMetric("AWS/Lambda", "AsyncEventAge", "FunctionName", "async"),
		cwMetric("AWS/Lambda", "DeadLetterErrors", "FunctionName", "async"),
		cwMetric("AWS/Lambda", "RecursiveInvocationsDropped", "FunctionName", "async"),
		// Not optional metrics, and another namespace's metric of the same name.
		cwMetric("AWS/Lambda", "Invocations", "FunctionName", "s1"),
		cwMetric("Custom", "IteratorAge", "FunctionName", "custom"),
		cwMetric("LambdaInsights", "used_memory_max", "function_name", "ins"),
		cwMetric("LambdaInsights", "used_memory_max", "function_name", "ins", "version", "3"),
		cwMetric("LambdaInsights", "used_memory_max", "function_name", "ins-versioned-only", "version", "3"),
		cwMetric("LambdaInsights", "memory_utilization", "function_name", "other"),
	)
	api := &cwFakeList{metrics: ms, pageSize: 3}
	d, err := metrics.Discover(context.Background(), api)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"s1": {"IteratorAge"}, "s2": {"IteratorAge"}, "s3": {"IteratorAge"}, "s4": {"IteratorAge"},
		"s5": {"IteratorAge"}, "s6": {"IteratorAge"}, "s7": {"IteratorAge"},
		"pc":    {"ProvisionedConcurrencyInvocations"},
		"async": {"AsyncEventsReceived", "AsyncEventAge", "DeadLetterErrors", "RecursiveInvocationsDropped"},
	}
	if len(d.Optional) != len(want) {
		t.Errorf("optional metrics for %d functions, want %d: %v", len(d.Optional), len(want), d.Optional)
	}
	for fn, w := range want {
		if !slices.Equal(d.Optional[fn], w) {
			t.Errorf("%s: %v, want %v", fn, d.Optional[fn], w)
		}
	}
	if len(d.LambdaInsights) != 1 || !d.LambdaInsights["ins"] || !d.Has("ins", metrics.LambdaInsightsKey) || d.Has("s1", metrics.LambdaInsightsKey) {
		t.Errorf("LambdaInsights = %v", d.LambdaInsights)
	}
	// One enumeration per metric name, never per function: 10 optional
	// metrics + LambdaInsights, IteratorAge in 3 pages.
	if d.Pages != 13 || len(api.ins) != 13 {
		t.Errorf("pages = %d, calls = %d, want 13", d.Pages, len(api.ins))
	}
	for _, in := range api.ins {
		if in.Namespace == nil || in.MetricName == nil || len(in.Dimensions) != 1 || in.Dimensions[0].Value != nil {
			t.Errorf("request %+v: want namespace, metric name and one dimension name without value", in)
		}
	}
	fns := []metrics.Function{{ID: "a/r/async", Name: "async"}, {ID: "a/r/ins", Name: "ins", Optional: []string{"stale"}}, {ID: "a/r/x", Name: "x"}}
	d.Apply(fns)
	if !slices.Equal(fns[0].Optional, want["async"]) || fns[0].LambdaInsights || fns[1].Optional != nil || !fns[1].LambdaInsights || fns[2].Optional != nil {
		t.Errorf("Apply: %+v", fns)
	}
}

func TestDiscoverErrors(t *testing.T) {
	denied := errors.New("api error AccessDenied: not authorized to perform cloudwatch:ListMetrics")
	tests := []struct {
		name string
		api  *cwFakeList
		want string
		is   error
	}{
		{"a failed enumeration fails the discovery", &cwFakeList{pageSize: 10, fail: map[string]error{"AsyncEventAge": denied}}, "ListMetrics AWS/Lambda AsyncEventAge, page 1: api error AccessDenied", denied},
		{"a token repeated", &cwFakeList{pageSize: 10, repeat: true}, "the same NextToken twice", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := metrics.Discover(context.Background(), tc.api)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if d != nil {
				t.Errorf("an error came with a discovery")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("%v does not wrap %v", err, tc.is)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := metrics.Discover(ctx, &cwFakeList{pageSize: 10}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}
