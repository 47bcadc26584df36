package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lambdaudit/lambdaudit/metrics"
)

// cwFakeGMD answers GetMetricData from canned pages, with the SDK's exact
// signature, and records the requests. The simulator cannot produce
// per-query InternalError (and Forbidden only for cross-account
// queries), so the status mapping is tested here.
type cwFakeGMD struct {
	pages []*cloudwatch.GetMetricDataOutput
	errs  []error // errs[i] fails call i instead
	ins   []cloudwatch.GetMetricDataInput
}

func (f *cwFakeGMD) GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	i := len(f.ins)
	f.ins = append(f.ins, *in)
	if i < len(f.errs) && f.errs[i] != nil {
		return nil, f.errs[i]
	}
	if i >= len(f.pages) {
		return nil, fmt.Errorf("fake: no page %d", i)
	}
	return f.pages[i], nil
}

var _ cloudwatch.GetMetricDataAPIClient = (*cwFakeGMD)(nil)

// cwDay is the start of window day i.
func cwDay(i int) time.Time { return cwWindow.DayStart(i) }

func cwRes(id string, status types.StatusCode, ts []time.Time, vs []float64, msgs ...string) types.MetricDataResult {
	r := types.MetricDataResult{Id: aws.String(id), StatusCode: status, Timestamps: ts, Values: vs}
	for _, m := range msgs {
		code, val, _ := strings.Cut(m, "|")
		r.Messages = append(r.Messages, types.MessageData{Code: aws.String(code), Value: aws.String(val)})
	}
	return r
}

func cwPage(next string, rs ...types.MetricDataResult) *cloudwatch.GetMetricDataOutput {
	out := &cloudwatch.GetMetricDataOutput{MetricDataResults: rs}
	if next != "" {
		out.NextToken = aws.String(next)
	}
	return out
}

// cwSeries is a window series with values on the given days.
func cwSeries(vals map[int]float64) metrics.Series {
	s := metrics.NewSeries(cwWindow.Days)
	for d, v := range vals {
		s[d] = &v
	}
	return s
}

func cwSeriesEqual(a, b metrics.Series) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if (a[i] == nil) != (b[i] == nil) || a[i] != nil && *a[i] != *b[i] {
			return false
		}
	}
	return true
}

func cwFmt(s metrics.Series) string {
	var b strings.Builder
	for i, v := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		if v == nil {
			b.WriteString("-")
		} else {
			fmt.Fprintf(&b, "%g", *v)
		}
	}
	return "[" + b.String() + "]"
}

// cwThreeQueries is the batch the fake tests use: q0, q1 of function a, q2 the region.
func cwThreeQueries(t *testing.T) metrics.Batch {
	b, err := metrics.NewBatch(cwWindow, []metrics.Query{
		{Key: "k/r/a", Name: "a", Metric: metrics.InvocationsSum},
		{Key: "k/r/a", Name: "a", Metric: metrics.DurationP99},
		{Key: metrics.RegionKey, Metric: metrics.ConcurrentExecutionsMaximum},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFetchMapping(t *testing.T) {
	ts := func(days ...int) []time.Time {
		var out []time.Time
		for _, d := range days {
			out = append(out, cwDay(d))
		}
		return out
	}
	c := types.StatusCodeComplete
	type want struct {
		values map[string]metrics.Series // "key metric" → series
		failed map[string]string         // "key metric" → reason substring
		pages  int
	}
	tests := []struct {
		name  string
		pages []*cloudwatch.GetMetricDataOutput
		want  want
	}{
		{"complete, days without datapoints stay nil, zero stays zero",
			[]*cloudwatch.GetMetricDataOutput{cwPage("",
				cwRes("q0", c, ts(14, 3, 0), []float64{5, 0, 7}),
				cwRes("q1", c, nil, nil),
				cwRes("q2", c, ts(14), []float64{930}))},
			want{values: map[string]metrics.Series{
				"k/r/a Invocations:Sum":               cwSeries(map[int]float64{0: 7, 3: 0, 14: 5}),
				"k/r/a Duration:p99":                  cwSeries(nil),
				"region ConcurrentExecutions:Maximum": cwSeries(map[int]float64{14: 930}),
			}, pages: 1}},
		{"datapoints outside the window are ignored",
			[]*cloudwatch.GetMetricDataOutput{cwPage("",
				cwRes("q0", c, []time.Time{cwDay(0).Add(-metrics.Day), cwWindow.End, cwDay(2)}, []float64{1, 2, 3}),
				cwRes("q1", c, nil, nil), cwRes("q2", c, nil, nil))},
			want{values: map[string]metrics.Series{
				"k/r/a Invocations:Sum": cwSeries(map[int]float64{2: 3}),
			}, pages: 1}},
		{"PartialData pieces across pages merge",
			[]*cloudwatch.GetMetricDataOutput{
				cwPage("t1", cwRes("q0", types.StatusCodePartialData, ts(0, 1), []float64{1, 2})),
				cwPage("t2", cwRes("q0", types.StatusCodePartialData, ts(2, 3), []float64{3, 4})),
				cwPage("", cwRes("q0", c, ts(4), []float64{5}), cwRes("q1", c, ts(4), []float64{9.5}), cwRes("q2", c, nil, nil)),
			},
			want{values: map[string]metrics.Series{
				"k/r/a Invocations:Sum": cwSeries(map[int]float64{0: 1, 1: 2, 2: 3, 3: 4, 4: 5}),
				"k/r/a Duration:p99":    cwSeries(map[int]float64{4: 9.5}),
			}, pages: 3}},
		{"Forbidden and InternalError fail their queries with the reason",
			[]*cloudwatch.GetMetricDataOutput{cwPage("",
				cwRes("q0", types.StatusCodeForbidden, nil, nil, "Forbidden|not a source account"),
				cwRes("q1", types.StatusCodeInternalError, ts(1), []float64{3}, "InternalError|try again"),
				cwRes("q2", c, ts(1), []float64{4}))},
			want{values: map[string]metrics.Series{"region ConcurrentExecutions:Maximum": cwSeries(map[int]float64{1: 4})},
				failed: map[string]string{
					"k/r/a Invocations:Sum": "GetMetricData status Forbidden: Forbidden: not a source account",
					"k/r/a Duration:p99":    "GetMetricData status InternalError: InternalError: try again",
				}, pages: 1}},
		{"a failure on one page is not undone by data on a later one",
			[]*cloudwatch.GetMetricDataOutput{
				cwPage("t1", cwRes("q0", types.StatusCodeInternalError, nil, nil)),
				cwPage("", cwRes("q0", c, ts(1), []float64{1}), cwRes("q1", c, nil, nil), cwRes("q2", c, nil, nil)),
			},
			want{values: map[string]metrics.Series{"k/r/a Duration:p99": cwSeries(nil)},
				failed: map[string]string{"k/r/a Invocations:Sum": "status InternalError"}, pages: 2}},
		{"queries missing from the answer fail with the call's messages",
			[]*cloudwatch.GetMetricDataOutput{{
				MetricDataResults: []types.MetricDataResult{cwRes("q0", c, ts(1), []float64{1})},
				Messages:          []types.MessageData{{Code: aws.String("MaxMetricsExceeded"), Value: aws.String("Maximum number of allowed metrics exceeded")}},
			}},
			want{values: map[string]metrics.Series{"k/r/a Invocations:Sum": cwSeries(map[int]float64{1: 1})},
				failed: map[string]string{
					"k/r/a Duration:p99":                  "no result for the query: MaxMetricsExceeded: Maximum number of allowed metrics exceeded",
					"region ConcurrentExecutions:Maximum": "MaxMetricsExceeded",
				}, pages: 1}},
		{"PartialData without a NextToken fails",
			[]*cloudwatch.GetMetricDataOutput{cwPage("",
				cwRes("q0", types.StatusCodePartialData, ts(1), []float64{1}), cwRes("q1", c, nil, nil), cwRes("q2", c, nil, nil))},
			want{failed: map[string]string{"k/r/a Invocations:Sum": "PartialData and no NextToken"}, pages: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &cwFakeGMD{pages: tc.pages}
			res, err := metrics.Fetch(context.Background(), api, cwThreeQueries(t))
			if err != nil {
				t.Fatal(err)
			}
			if res.Pages != tc.want.pages || len(api.ins) != tc.want.pages {
				t.Errorf("pages = %d, calls = %d, want %d", res.Pages, len(api.ins), tc.want.pages)
			}
			for i, in := range api.ins {
				tok := aws.ToString(in.NextToken)
				if want := ""; i > 0 {
					want = aws.ToString(tc.pages[i-1].NextToken)
					if tok != want {
						t.Errorf("call %d: NextToken %q, want %q", i, tok, want)
					}
				} else if tok != want {
					t.Errorf("first call has NextToken %q", tok)
				}
			}
			for km, want := range tc.want.values {
				k, m, _ := strings.Cut(km, " ")
				got, ok := res.Get(k, m)
				if !ok || !cwSeriesEqual(got, want) {
					t.Errorf("%s = %s (present %t), want %s", km, cwFmt(got), ok, cwFmt(want))
				}
			}
			for km, why := range tc.want.failed {
				k, m, _ := strings.Cut(km, " ")
				if got := res.Failed[k][m]; !strings.Contains(got, why) {
					t.Errorf("%s failed with %q, want %q", km, got, why)
				}
				if _, ok := res.Get(k, m); ok {
					t.Errorf("%s is both failed and has values", km)
				}
			}
			// Every query is accounted for, exactly once.
			n := 0
			for k, m := range res.Values {
				for mk := range m {
					n++
					if _, f := res.Failed[k][mk]; f {
						t.Errorf("%s %s in Values and Failed", k, mk)
					}
				}
			}
			for _, m := range res.Failed {
				n += len(m)
			}
			if n != 3 {
				t.Errorf("%d (key, metric) results, want 3", n)
			}
		})
	}
}

func TestFetchErrors(t *testing.T) {
	throttled := errors.New("api error Throttling: Rate exceeded")
	c := types.StatusCodeComplete
	tests := []struct {
		name  string
		pages []*cloudwatch.GetMetricDataOutput
		errs  []error
		opts  []metrics.FetchOption
		want  string
		is    error
	}{
		{"the call fails", nil, []error{throttled}, nil, "page 1: api error Throttling", throttled},
		{"a later page fails", []*cloudwatch.GetMetricDataOutput{cwPage("t1", cwRes("q0", types.StatusCodePartialData, nil, nil))},
			[]error{nil, throttled}, nil, "page 2", throttled},
		{"unknown Id", []*cloudwatch.GetMetricDataOutput{cwPage("", cwRes("q3", c, nil, nil))}, nil, nil, `unknown query Id "q3"`, nil},
		{"Id with a leading zero", []*cloudwatch.GetMetricDataOutput{cwPage("", cwRes("q01", c, nil, nil))}, nil, nil, `unknown query Id "q01"`, nil},
		{"timestamps and values differ", []*cloudwatch.GetMetricDataOutput{cwPage("", cwRes("q0", c, []time.Time{cwDay(1)}, nil))}, nil, nil, "1 timestamps and 0 values", nil},
		{"the same token twice", []*cloudwatch.GetMetricDataOutput{cwPage("t", cwRes("q0", types.StatusCodePartialData, nil, nil)), cwPage("t")}, nil, nil, "the same NextToken twice", nil},
		{"bad option", nil, nil, []metrics.FetchOption{metrics.WithMaxDatapoints(0)}, "max datapoints must be between 1 and 100800", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := metrics.Fetch(context.Background(), &cwFakeGMD{pages: tc.pages, errs: tc.errs}, cwThreeQueries(t), tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if res != nil {
				t.Errorf("an error came with a result: %+v", res)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("%v does not wrap %v", err, tc.is)
			}
		})
	}
}

func TestFetchRequest(t *testing.T) {
	api := &cwFakeGMD{pages: []*cloudwatch.GetMetricDataOutput{cwPage("")}}
	if _, err := metrics.Fetch(context.Background(), api, cwThreeQueries(t), metrics.WithMaxDatapoints(7)); err != nil {
		t.Fatal(err)
	}
	in := api.ins[0]
	if !in.StartTime.Equal(cwWindow.Start()) || !in.EndTime.Equal(cwWindow.End) || aws.ToInt32(in.MaxDatapoints) != 7 {
		t.Errorf("StartTime %v EndTime %v MaxDatapoints %v", in.StartTime, in.EndTime, aws.ToInt32(in.MaxDatapoints))
	}
	want := []string{
		"q0 AWS/Lambda Invocations [FunctionName=a] 86400 Sum",
		"q1 AWS/Lambda Duration [FunctionName=a] 86400 p99",
		"q2 AWS/Lambda ConcurrentExecutions [] 86400 Maximum",
	}
	for i, q := range in.MetricDataQueries {
		ms := q.MetricStat
		var dims []string
		for _, d := range ms.Metric.Dimensions {
			dims = append(dims, aws.ToString(d.Name)+"="+aws.ToString(d.Value))
		}
		got := fmt.Sprintf("%s %s %s %v %d %s", aws.ToString(q.Id), aws.ToString(ms.Metric.Namespace), aws.ToString(ms.Metric.MetricName), dims, aws.ToInt32(ms.Period), aws.ToString(ms.Stat))
		if got = strings.Replace(got, "[]", "[]", 1); got != want[i] {
			t.Errorf("query %d = %q, want %q", i, got, want[i])
		}
		if !aws.ToBool(q.ReturnData) {
			t.Errorf("query %d does not return data", i)
		}
	}
	// The request the fetch queries answered with no result fail: an empty answer never becomes "no data".
	res, err := metrics.Fetch(context.Background(), &cwFakeGMD{pages: []*cloudwatch.GetMetricDataOutput{cwPage("")}}, cwThreeQueries(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Values) != 0 || len(res.FailedKeys()) != 2 {
		t.Errorf("an empty answer gave values %v, failed %v", res.Values, res.FailedKeys())
	}
}

func TestResultMerge(t *testing.T) {
	a, b := metrics.NewResult(cwWindow), metrics.NewResult(cwWindow)
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	pa, pb := cwFakeGMD{pages: []*cloudwatch.GetMetricDataOutput{cwPage("", cwRes("q0", types.StatusCodeInternalError, nil, nil), cwRes("q1", types.StatusCodeComplete, nil, nil))}},
		cwFakeGMD{pages: []*cloudwatch.GetMetricDataOutput{cwPage("", cwRes("q0", types.StatusCodeComplete, []time.Time{cwDay(1)}, []float64{2}), cwRes("q1", types.StatusCodeComplete, nil, nil), cwRes("q2", types.StatusCodeComplete, nil, nil))}}
	first, err := metrics.Fetch(context.Background(), &pa, cwThreeQueries(t))
	if err != nil {
		t.Fatal(err)
	}
	retry, err := metrics.Fetch(context.Background(), &pb, cwThreeQueries(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Merge(retry); err != nil {
		t.Fatal(err)
	}
	if len(first.Failed) != 0 {
		t.Errorf("failures left after a successful retry merged: %v", first.Failed)
	}
	if s, ok := first.Get("k/r/a", metrics.InvocationsSum); !ok || !cwSeriesEqual(s, cwSeries(map[int]float64{1: 2})) {
		t.Errorf("merged Invocations = %s", cwFmt(s))
	}
	// A result read back from JSON (no "failed") merges too.
	var decoded metrics.Result
	if err := json.Unmarshal([]byte(`{"window":{"end":"2026-11-21T00:00:00Z","days":15},"values":{}}`), &decoded); err != nil {
		t.Fatal(err)
	}
	if err := decoded.Merge(first); err != nil {
		t.Fatal(err)
	}
	if s, ok := decoded.Get("k/r/a", metrics.InvocationsSum); !ok || !cwSeriesEqual(s, cwSeries(map[int]float64{1: 2})) {
		t.Errorf("merged into decoded: Invocations = %s", cwFmt(s))
	}
	other := metrics.NewResult(metrics.Window{End: cwWindow.End, Days: 14})
	if err := first.Merge(other); err == nil {
		t.Error("merged results of different windows")
	}
}
