package sim_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// The wire protocols the CloudWatch client can speak: the SDK's default
// (Smithy RPC v2 CBOR) and the two the service model also lists.
var cwProtocols = []string{"cbor", "awsquery", "awsjson10"}

// cwClient is the real SDK client speaking proto to the endpoint.
func cwClient(cfg aws.Config, proto string, opts ...func(*cloudwatch.Options)) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(cfg, append([]func(*cloudwatch.Options){func(o *cloudwatch.Options) {
		switch proto {
		case "awsquery":
			o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
		case "awsjson10":
			o.Protocol = awsjson.New10(schemas.GraniteServiceVersion20100801)
		}
	}}, opts...)...)
}

func cwReadSpec(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cloudwatch", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// startCW serves fleet.yaml without quotas (tests of quotas pass their own).
func startCW(t testing.TB, opts ...sim.Option) *simtest.Env {
	t.Helper()
	return simtest.Start(t, cwReadSpec(t, "fleet.yaml"), append([]sim.Option{sim.WithQuotas(sim.Quotas{})}, opts...)...)
}

// cwRawInput drops the SDK's client-side validation of required members,
// so requests AWS would refuse reach the server, and makes one attempt.
func cwRawInput(o *cloudwatch.Options) {
	o.RetryMaxAttempts = 1
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		_, err := st.Initialize.Remove("OperationInputValidation")
		return err
	})
}

func cwRegion(t testing.TB, env *simtest.Env) *fleet.Region {
	t.Helper()
	r := env.Fleet.Account("123456789012").Region("us-east-1")
	if r == nil {
		t.Fatal("fleet has no 123456789012/us-east-1")
	}
	return r
}

func cwFnMetric(ns, name, fn string) fleet.MetricID {
	dim := map[string]string{fleet.NSLambda: "FunctionName", fleet.NSInsights: "function_name", fleet.NSLogs: "LogGroupName"}[ns]
	if ns == fleet.NSLogs {
		fn = "/aws/lambda/" + fn
	}
	return fleet.MetricID{Namespace: ns, Name: name, Dims: []fleet.Dim{{Name: dim, Value: fn}}}
}

func cwSDKMetric(m fleet.MetricID) *types.Metric {
	out := &types.Metric{Namespace: aws.String(m.Namespace), MetricName: aws.String(m.Name)}
	for _, d := range m.Dims {
		out.Dimensions = append(out.Dimensions, types.Dimension{Name: aws.String(d.Name), Value: aws.String(d.Value)})
	}
	return out
}

func cwStatQuery(id string, m fleet.MetricID, stat string, period int32) types.MetricDataQuery {
	return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{Metric: cwSDKMetric(m), Stat: aws.String(stat), Period: aws.Int32(period)}}
}

// cwSeriesOf is one query's answer, comparable across clients.
type cwSeriesOf struct {
	Label  string
	Status string
	Times  []time.Time
	Values []float64
}

func cwToSeries(r types.MetricDataResult) cwSeriesOf {
	s := cwSeriesOf{Label: aws.ToString(r.Label), Status: string(r.StatusCode), Values: r.Values}
	for _, ts := range r.Timestamps {
		s.Times = append(s.Times, ts.UTC())
	}
	if s.Values == nil {
		s.Values = []float64{}
	}
	if s.Times == nil {
		s.Times = []time.Time{}
	}
	return s
}

func cwByID(out *cloudwatch.GetMetricDataOutput) map[string]cwSeriesOf {
	m := map[string]cwSeriesOf{}
	for _, r := range out.MetricDataResults {
		m[aws.ToString(r.Id)] = cwToSeries(r)
	}
	return m
}

// expected is what the fleet model says, newest first unless ascending.
func cwExpected(r *fleet.Region, m fleet.MetricID, stat string, start, end time.Time, period time.Duration, ascending bool) cwSeriesOf {
	st, err := fleet.ParseStat(stat)
	if err != nil {
		panic(err)
	}
	dps := r.Datapoints(m, st, fleet.RoundStart(start, simtest.Now), end, period, simtest.Now)
	s := cwSeriesOf{Label: m.Name, Status: "Complete", Times: []time.Time{}, Values: []float64{}}
	for _, dp := range dps {
		s.Times = append(s.Times, dp.Time.UTC())
		s.Values = append(s.Values, dp.Value)
	}
	if !ascending {
		for i, j := 0, len(s.Times)-1; i < j; i, j = i+1, j-1 {
			s.Times[i], s.Times[j] = s.Times[j], s.Times[i]
			s.Values[i], s.Values[j] = s.Values[j], s.Values[i]
		}
	}
	return s
}

// cwCode is the error code of err with the protocol quirk removed: the
// SDK's awsQuery deserializer reports a modeled error by its shape name
// (InvalidParameterValueException) where CBOR and JSON report the query
// code from X-Amzn-Query-Error (InvalidParameterValue), for the same
// <Code>InvalidParameterValue</Code> on the wire.
func cwCode(err error) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Sprintf("(not an API error: %v)", err)
	}
	switch c := ae.ErrorCode(); c {
	case "InvalidParameterValueException":
		return "InvalidParameterValue"
	case "MissingRequiredParameterException":
		return "MissingParameter"
	case "InvalidParameterCombinationException":
		return "InvalidParameterCombination"
	default:
		return c
	}
}

var (
	cwDay         = 24 * time.Hour
	cwAnchor      = simtest.Now.Truncate(cwDay)
	cwTwoWeeksAgo = cwAnchor.Add(-14 * cwDay)
)

func TestGetMetricDataMatchesFleet(t *testing.T) {
	env := startCW(t)
	r := cwRegion(t, env)
	type q struct {
		m    fleet.MetricID
		stat string
	}
	qs := []q{
		{cwFnMetric(fleet.NSLambda, "Invocations", "api"), "Sum"},
		{cwFnMetric(fleet.NSLambda, "Invocations", "api"), "SampleCount"},
		{cwFnMetric(fleet.NSLambda, "Duration", "api"), "Average"},
		{cwFnMetric(fleet.NSLambda, "Duration", "api"), "Maximum"},
		{cwFnMetric(fleet.NSLambda, "Duration", "api"), "Minimum"},
		{cwFnMetric(fleet.NSLambda, "Duration", "api"), "p99"},
		{cwFnMetric(fleet.NSLambda, "Duration", "api"), "p50"},
		{cwFnMetric(fleet.NSLambda, "Errors", "api"), "Sum"},
		{cwFnMetric(fleet.NSLambda, "Errors", "api"), "Average"},
		{cwFnMetric(fleet.NSLambda, "Throttles", "api"), "Sum"},
		{cwFnMetric(fleet.NSLambda, "ConcurrentExecutions", "api"), "Maximum"},
		{cwFnMetric(fleet.NSInsights, "memory_utilization", "api"), "Maximum"},
		{cwFnMetric(fleet.NSInsights, "used_memory_max", "api"), "p99"},
		{cwFnMetric(fleet.NSLogs, "IncomingBytes", "api"), "Sum"},
		{cwFnMetric(fleet.NSLambda, "Duration", "worker"), "p99.9"},
		{cwFnMetric(fleet.NSLambda, "AsyncEventAge", "worker"), "Maximum"},
		{cwFnMetric(fleet.NSLambda, "Invocations", "idle"), "Sum"},
		{cwFnMetric(fleet.NSLambda, "Invocations", "retired"), "Sum"},
		{cwFnMetric(fleet.NSLogs, "IncomingLogEvents", "retired"), "SampleCount"},
		{cwFnMetric(fleet.NSLambda, "AsyncEventsReceived", "worker"), "Sum"},
		{cwFnMetric(fleet.NSLambda, "Invocations", "no-such-function"), "Sum"},
		{fleet.MetricID{Namespace: fleet.NSLambda, Name: "ConcurrentExecutions"}, "Maximum"},
	}
	windows := []struct {
		name       string
		start, end time.Time
		period     time.Duration
	}{
		{"daily, two weeks to now", cwTwoWeeksAgo, simtest.Now, cwDay},
		{"hourly, last two days", simtest.Now.Add(-48 * time.Hour), simtest.Now, time.Hour},
		{"five minutes, unaligned start", simtest.Now.Add(-3*time.Hour - 17*time.Second), simtest.Now, 5 * time.Minute},
	}
	for _, proto := range cwProtocols {
		cl := cwClient(env.Config, proto)
		for _, w := range windows {
			t.Run(proto+"/"+w.name, func(t *testing.T) {
				in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(w.start), EndTime: aws.Time(w.end)}
				for i, q := range qs {
					in.MetricDataQueries = append(in.MetricDataQueries, cwStatQuery(fmt.Sprintf("q%d", i), q.m, q.stat, int32(w.period/time.Second)))
				}
				out, err := cl.GetMetricData(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				if out.NextToken != nil {
					t.Errorf("NextToken = %q for a small request", *out.NextToken)
				}
				got := cwByID(out)
				if len(got) != len(qs) {
					t.Fatalf("%d results, want %d", len(got), len(qs))
				}
				nonEmpty := 0
				for i, q := range qs {
					want := cwExpected(r, q.m, q.stat, w.start, w.end, w.period, false)
					id := fmt.Sprintf("q%d", i)
					if !reflect.DeepEqual(got[id], want) {
						t.Errorf("%s %s %s:\n got %+v\nwant %+v", id, q.m.Name, q.stat, got[id], want)
					}
					if len(want.Values) > 0 {
						nonEmpty++
					}
				}
				if nonEmpty < len(qs)-4 {
					t.Errorf("only %d of %d queries have data: the fixture does not exercise the metrics", nonEmpty, len(qs))
				}
			})
		}
	}
}

// collectPages runs the SDK paginator and concatenates each Id's pieces.
func cwCollectPages(t *testing.T, cl *cloudwatch.Client, in *cloudwatch.GetMetricDataInput) (map[string]cwSeriesOf, int) {
	t.Helper()
	all := map[string]cwSeriesOf{}
	complete := map[string]int{}
	pages := 0
	p := cloudwatch.NewGetMetricDataPaginator(cl, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		for _, r := range out.MetricDataResults {
			id := aws.ToString(r.Id)
			s := all[id]
			if complete[id] > 0 {
				t.Errorf("page %d: %s continues after its Complete piece", pages, id)
			}
			switch r.StatusCode {
			case types.StatusCodeComplete:
				complete[id]++
			case types.StatusCodePartialData:
				if out.NextToken == nil {
					t.Errorf("page %d: %s is PartialData on the last page", pages, id)
				}
			default:
				t.Errorf("page %d: %s has status %s", pages, id, r.StatusCode)
			}
			if s.Label != "" && s.Label != aws.ToString(r.Label) {
				t.Errorf("%s: label changed between pages", id)
			}
			s.Label, s.Status = aws.ToString(r.Label), string(r.StatusCode)
			if s.Times == nil {
				s.Times, s.Values = []time.Time{}, []float64{}
			}
			for _, ts := range r.Timestamps {
				s.Times = append(s.Times, ts.UTC())
			}
			s.Values = append(s.Values, r.Values...)
			all[id] = s
		}
		if pages > 1000 {
			t.Fatal("paginator does not end")
		}
	}
	for id, n := range complete {
		if n != 1 {
			t.Errorf("%s: %d Complete pieces", id, n)
		}
	}
	return all, pages
}

func TestGetMetricDataPagination(t *testing.T) {
	env := startCW(t)
	var hourly, daily []types.MetricDataQuery
	for i, fn := range []string{"api", "worker", "idle", "api", "worker"} {
		for j, name := range []string{"Invocations", "Duration", "Errors"} {
			stat := []string{"Sum", "Average", "Maximum", "p90", "Minimum"}[i]
			hourly = append(hourly, cwStatQuery(fmt.Sprintf("m%d_%d", i, j), cwFnMetric(fleet.NSLambda, name, fn), stat, 3600))
		}
	}
	for i, name := range []string{"Invocations", "Duration", "Throttles"} {
		daily = append(daily, cwStatQuery(fmt.Sprintf("d%d", i), cwFnMetric(fleet.NSLambda, name, "api"), "Maximum", 86400))
	}
	daily = append(daily, cwStatQuery("empty", cwFnMetric(fleet.NSLambda, "Invocations", "idle"), "Sum", 86400))
	for _, proto := range cwProtocols {
		cl := cwClient(env.Config, proto)
		for _, tc := range []struct {
			name      string
			queries   []types.MetricDataQuery
			max       int32
			ascending bool
		}{
			{"daily, 1 a page", daily, 1, false},
			{"daily, 5 a page ascending", daily, 5, true},
			{"hourly, 97 a page", hourly, 97, false},
			{"hourly, 336 a page ascending", hourly, 336, true},
			{"hourly, one page exactly", hourly, 0, false},
		} {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				in := cloudwatch.GetMetricDataInput{StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(simtest.Now), MetricDataQueries: tc.queries}
				if tc.ascending {
					in.ScanBy = types.ScanByTimestampAscending
				}
				single, err := cl.GetMetricData(context.Background(), &in)
				if err != nil {
					t.Fatal(err)
				}
				want := cwByID(single)
				total := 0
				for _, s := range want {
					total += len(s.Values)
				}
				in.MaxDatapoints = aws.Int32(tc.max)
				if tc.max == 0 {
					in.MaxDatapoints = aws.Int32(int32(total))
				}
				got, pages := cwCollectPages(t, cl, &in)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("union of %d pages differs from the single answer", pages)
					for id := range want {
						if !reflect.DeepEqual(got[id], want[id]) {
							t.Errorf("%s: got %+v\nwant %+v", id, got[id], want[id])
						}
					}
				}
				per := int(*in.MaxDatapoints)
				if wantPages := (total + per - 1) / per; pages != wantPages {
					t.Errorf("%d pages for %d datapoints at %d a page, want %d", pages, total, per, wantPages)
				}
			})
		}
	}
	t.Run("default MaxDatapoints pages at 100800", func(t *testing.T) {
		// 320 hourly queries over 325 hours, every hour with invocations:
		// 104,000 datapoints; page one holds 310 queries and 50 of the 311th.
		var qs []types.MetricDataQuery
		for i := 0; i < 320; i++ {
			qs = append(qs, cwStatQuery(fmt.Sprintf("q%d", i), cwFnMetric(fleet.NSLambda, "Invocations", "api"), []string{"Sum", "SampleCount", "Average", "Maximum"}[i%4], 3600))
		}
		cl := cwClient(env.Config, "cbor")
		in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(cwAnchor.Add(-325 * time.Hour)), EndTime: aws.Time(cwAnchor), MetricDataQueries: qs}
		out, err := cl.GetMetricData(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range out.MetricDataResults {
			n += len(r.Values)
		}
		if n != 100800 || out.NextToken == nil || len(out.MetricDataResults) != 311 {
			t.Fatalf("first page: %d values in %d results, NextToken %v; want 100800 in 311 and a token", n, len(out.MetricDataResults), out.NextToken != nil)
		}
		if last := out.MetricDataResults[310]; last.StatusCode != types.StatusCodePartialData || len(last.Values) != 50 {
			t.Errorf("the query cut by the page: %s with %d values, want PartialData with 50", last.StatusCode, len(last.Values))
		}
		in.NextToken = out.NextToken
		out2, err := cl.GetMetricData(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out2.MetricDataResults {
			n += len(r.Values)
		}
		if n != 320*325 || out2.NextToken != nil || *out2.MetricDataResults[0].Id != "q310" {
			t.Errorf("two pages hold %d values (token %v), want %d and no token, page two from q310", n, out2.NextToken != nil, 320*325)
		}
	})
	base := cloudwatch.GetMetricDataInput{StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(simtest.Now), MetricDataQueries: hourly}
	t.Run("token of another request", func(t *testing.T) {
		cl := cwClient(env.Config, "cbor")
		in := base
		in.MaxDatapoints = aws.Int32(10)
		out, err := cl.GetMetricData(context.Background(), &in)
		if err != nil || out.NextToken == nil {
			t.Fatalf("err %v, token %v", err, out.NextToken)
		}
		for name, tok := range map[string]string{
			"other window": *out.NextToken,
			"garbage":      "not-a-token",
			"forged":       "Z21kMTo5OTk6MDowMDAwMDAwMDAwMDAwMDAw",
		} {
			in2 := in
			if name == "other window" {
				in2.StartTime = aws.Time(cwTwoWeeksAgo.Add(time.Hour))
			}
			in2.NextToken = aws.String(tok)
			_, err := cl.GetMetricData(context.Background(), &in2)
			if c := cwCode(err); c != "InvalidNextToken" {
				t.Errorf("%s: code %s, want InvalidNextToken (%v)", name, c, err)
			}
		}
	})
}

func TestGetMetricDataRetentionAndWork(t *testing.T) {
	env := startCW(t)
	r := cwRegion(t, env)
	api := cwFnMetric(fleet.NSLambda, "Duration", "api")
	cl := cwClient(env.Config, "cbor")
	t.Run("sub-minute periods keep 3 hours", func(t *testing.T) {
		// 150 one-second queries over 20 days: only the last 3 hours have
		// data (10,800 periods a query), and at 1,000,000 periods of work
		// a page the answer takes two pages.
		var qs []types.MetricDataQuery
		for i := 0; i < 150; i++ {
			qs = append(qs, cwStatQuery(fmt.Sprintf("q%d", i), api, "Maximum", 1))
		}
		start := simtest.Now.Add(-20 * cwDay)
		got, pages := cwCollectPages(t, cl, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(simtest.Now), MetricDataQueries: qs})
		kept := start.Add(simtest.Now.Add(-3*time.Hour).Sub(start) / time.Second * time.Second)
		want := cwExpected(r, api, "Maximum", kept, simtest.Now, time.Second, false)
		if len(want.Values) != 180 {
			t.Fatalf("fixture: %d values in 3 hours at 1 s, want 180 (one a minute)", len(want.Values))
		}
		for i := range qs {
			if id := fmt.Sprintf("q%d", i); !reflect.DeepEqual(got[id], want) {
				t.Fatalf("%s: %d values from %v, want %d from %v", id, len(got[id].Values), got[id].Times[len(got[id].Times)-1], len(want.Values), want.Times[len(want.Times)-1])
			}
		}
		if pages != 2 {
			t.Errorf("%d pages, want 2 (work-bounded)", pages)
		}
	})
	t.Run("one-minute periods keep 15 days", func(t *testing.T) {
		start := simtest.Now.Add(-20 * cwDay)
		out, err := cl.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(simtest.Now),
			MetricDataQueries: []types.MetricDataQuery{cwStatQuery("a", cwFnMetric(fleet.NSLambda, "Invocations", "retired"), "Sum", 60)}, ScanBy: types.ScanByTimestampAscending})
		if err != nil {
			t.Fatal(err)
		}
		ts := out.MetricDataResults[0].Timestamps
		if len(ts) == 0 || ts[0].Before(simtest.Now.Add(-15*cwDay)) || !ts[len(ts)-1].Before(cwAnchor.Add(-2*cwDay)) {
			t.Errorf("%d timestamps from %v to %v: want within 15 days, none after retired stopped", len(ts), ts[0], ts[len(ts)-1])
		}
	})
	t.Run("idle functions cost nothing", func(t *testing.T) {
		var qs []types.MetricDataQuery
		for i := 0; i < 500; i++ {
			qs = append(qs, cwStatQuery(fmt.Sprintf("q%d", i), cwFnMetric(fleet.NSLambda, "Duration", "idle"), "p99", 60))
		}
		t0 := time.Now()
		out, err := cl.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{StartTime: aws.Time(simtest.Now.Add(-15 * cwDay)), EndTime: aws.Time(simtest.Now), MetricDataQueries: qs})
		if err != nil || out.NextToken != nil || len(out.MetricDataResults) != 500 {
			t.Fatalf("%v, token %v, %d results", err, out.NextToken != nil, len(out.MetricDataResults))
		}
		if d := time.Since(t0); d > 5*time.Second {
			t.Errorf("500 idle one-minute queries over 15 days took %v", d)
		}
	})
}

func TestGetMetricDataScanByLabelReturnData(t *testing.T) {
	env := startCW(t)
	r := cwRegion(t, env)
	inv := cwFnMetric(fleet.NSLambda, "Invocations", "api")
	for _, proto := range cwProtocols {
		cl := cwClient(env.Config, proto)
		for _, tc := range []struct {
			name      string
			scanBy    types.ScanBy
			ascending bool
		}{
			{"default is descending", "", false},
			{"TimestampDescending", types.ScanByTimestampDescending, false},
			{"TimestampAscending", types.ScanByTimestampAscending, true},
		} {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				labelled := cwStatQuery("labelled", inv, "Sum", 86400)
				labelled.Label = aws.String("api calls <&> per day")
				hidden := cwStatQuery("hidden", inv, "Average", 86400)
				hidden.ReturnData = aws.Bool(false)
				shown := cwStatQuery("shown", inv, "Maximum", 86400)
				shown.ReturnData = aws.Bool(true)
				out, err := cl.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
					StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor), ScanBy: tc.scanBy,
					MetricDataQueries: []types.MetricDataQuery{cwStatQuery("plain", inv, "Sum", 86400), labelled, hidden, shown},
				})
				if err != nil {
					t.Fatal(err)
				}
				got := cwByID(out)
				if _, ok := got["hidden"]; ok || len(got) != 3 {
					t.Errorf("results %v: want plain, labelled and shown, not the ReturnData=false query", cwKeys(got))
				}
				want := cwExpected(r, inv, "Sum", cwTwoWeeksAgo, cwAnchor, cwDay, tc.ascending)
				if !reflect.DeepEqual(got["plain"], want) {
					t.Errorf("plain:\n got %+v\nwant %+v", got["plain"], want)
				}
				want.Label = "api calls <&> per day"
				if !reflect.DeepEqual(got["labelled"], want) {
					t.Errorf("labelled:\n got %+v\nwant %+v", got["labelled"], want)
				}
				if len(want.Times) != 14 {
					t.Errorf("%d daily datapoints over two weeks, want 14", len(want.Times))
				}
				if got["plain"].Label != "Invocations" {
					t.Errorf("default label %q, want the metric name", got["plain"].Label)
				}
				if sort.SliceIsSorted(got["plain"].Times, func(i, j int) bool { return got["plain"].Times[i].Before(got["plain"].Times[j]) }) != tc.ascending {
					t.Errorf("timestamps %v not in %s order", got["plain"].Times, map[bool]string{true: "ascending", false: "descending"}[tc.ascending])
				}
			})
		}
	}
}

func cwKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestGetMetricDataUnitsAccountsAndEmptyRegion(t *testing.T) {
	env := startCW(t)
	dur := cwFnMetric(fleet.NSLambda, "Duration", "api")
	withUnit := func(id, unit string) types.MetricDataQuery {
		q := cwStatQuery(id, dur, "Average", 86400)
		q.MetricStat.Unit = types.StandardUnit(unit)
		return q
	}
	own := cwStatQuery("own", dur, "Average", 86400)
	own.AccountId = aws.String("123456789012")
	other := cwStatQuery("other", dur, "Average", 86400)
	other.AccountId = aws.String("210987654321")
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor),
		MetricDataQueries: []types.MetricDataQuery{withUnit("ms", "Milliseconds"), withUnit("count", "Count"), own, other}}
	for _, proto := range cwProtocols {
		t.Run(proto, func(t *testing.T) {
			out, err := cwClient(env.Config, proto).GetMetricData(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]types.MetricDataResult{}
			for _, r := range out.MetricDataResults {
				got[*r.Id] = r
			}
			if n := len(got["ms"].Values); n != 14 {
				t.Errorf("Unit Milliseconds (the unit Duration is published with): %d values, want 14", n)
			}
			if n := len(got["count"].Values); n != 0 || got["count"].StatusCode != types.StatusCodeComplete {
				t.Errorf("Unit Count on Duration: %d values, status %s; want none, Complete", n, got["count"].StatusCode)
			}
			if n := len(got["own"].Values); n != 14 || got["own"].StatusCode != types.StatusCodeComplete {
				t.Errorf("own AccountId: %d values, %s", n, got["own"].StatusCode)
			}
			o := got["other"]
			if len(o.Values) != 0 || o.StatusCode != types.StatusCodeForbidden || len(o.Messages) != 1 || aws.ToString(o.Messages[0].Code) != "Forbidden" {
				t.Errorf("another account: %d values, status %s, messages %+v; want Forbidden with a message", len(o.Values), o.StatusCode, o.Messages)
			}
		})
	}
	t.Run("region without functions", func(t *testing.T) {
		cl := cwClient(env.Config, "cbor", func(o *cloudwatch.Options) { o.Region = "eu-west-1" })
		out, err := cl.GetMetricData(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.MetricDataResults {
			if len(r.Values) != 0 {
				t.Errorf("%s: %d values in an empty region", *r.Id, len(r.Values))
			}
		}
		lm, err := cl.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{})
		if err != nil || len(lm.Metrics) != 0 {
			t.Errorf("ListMetrics in an empty region: %d metrics, %v", len(lm.Metrics), err)
		}
	})
}

func TestGetMetricDataErrors(t *testing.T) {
	env := startCW(t)
	inv := cwFnMetric(fleet.NSLambda, "Invocations", "api")
	ok := func(id string) types.MetricDataQuery { return cwStatQuery(id, inv, "Sum", 86400) }
	many := func(n int) []types.MetricDataQuery {
		var qs []types.MetricDataQuery
		for i := 0; i < n; i++ {
			qs = append(qs, ok(fmt.Sprintf("q%d", i)))
		}
		return qs
	}
	withStat := func(stat string) types.MetricDataQuery { q := ok("a"); q.MetricStat.Stat = aws.String(stat); return q }
	withPeriod := func(p int32) types.MetricDataQuery { q := ok("a"); q.MetricStat.Period = aws.Int32(p); return q }
	start, end := aws.Time(cwTwoWeeksAgo), aws.Time(cwAnchor)
	cases := []struct {
		name    string
		in      cloudwatch.GetMetricDataInput
		code    string
		message string
	}{
		{"duplicate id", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{ok("a"), ok("b"), ok("a")}}, "InvalidParameterValue", "not unique"},
		{"id starting upper case", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{ok("Abc")}}, "InvalidParameterValue", "Abc"},
		{"id with a dash", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{ok("a-b")}}, "InvalidParameterValue", "a-b"},
		{"501 queries", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: many(501)}, "InvalidParameterValue", "must not have a size greater than 500"},
		{"no queries", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{}}, "InvalidParameterValue", "MetricDataQueries"},
		{"unknown stat", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{withStat("Median")}}, "InvalidParameterValue", "Median"},
		{"trimmed mean", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{withStat("TM(10%:90%)")}}, "InvalidParameterValue", "TM(10%:90%)"},
		{"period 0", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{withPeriod(0)}}, "InvalidParameterValue", "Period"},
		{"period 90", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{withPeriod(90)}}, "InvalidParameterValue", "multiple of 60"},
		{"expression", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{ok("a"), {Id: aws.String("e"), Expression: aws.String("a * 2")}}}, "InvalidParameterValue", "metric math"},
		{"metric stat and expression", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("a"), Expression: aws.String("1"), MetricStat: ok("a").MetricStat}}}, "InvalidParameterValue", "Exactly one"},
		{"neither", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("a")}}}, "InvalidParameterValue", "Exactly one"},
		{"start after end", cloudwatch.GetMetricDataInput{StartTime: end, EndTime: start, MetricDataQueries: many(1)}, "InvalidParameterValue", "StartTime"},
		{"start equals end", cloudwatch.GetMetricDataInput{StartTime: end, EndTime: end, MetricDataQueries: many(1)}, "InvalidParameterValue", "StartTime"},
		{"missing end", cloudwatch.GetMetricDataInput{StartTime: start, MetricDataQueries: many(1)}, "MissingParameter", "EndTime"},
		{"missing metric name", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("a"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("AWS/Lambda")}, Period: aws.Int32(60), Stat: aws.String("Sum")}}}}, "MissingParameter", "MetricDataQueries.member.1.MetricStat.Metric.MetricName"},
		{"bad unit", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: []types.MetricDataQuery{func() types.MetricDataQuery { q := ok("a"); q.MetricStat.Unit = "Furlongs"; return q }()}}, "InvalidParameterValue", "Furlongs"},
		{"bad scan order", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: many(1), ScanBy: "Sideways"}, "InvalidParameterValue", "ScanBy"},
		{"MaxDatapoints 0", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: many(1), MaxDatapoints: aws.Int32(0)}, "InvalidParameterValue", "MaxDatapoints"},
		{"bad timezone", cloudwatch.GetMetricDataInput{StartTime: start, EndTime: end, MetricDataQueries: many(1), LabelOptions: &types.LabelOptions{Timezone: aws.String("CET")}}, "InvalidParameterValue", "Timezone"},
	}
	for _, proto := range cwProtocols {
		cl := cwClient(env.Config, proto, cwRawInput)
		for _, tc := range cases {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				_, err := cl.GetMetricData(context.Background(), &tc.in)
				if got := cwCode(err); got != tc.code {
					t.Fatalf("code %s, want %s (%v)", got, tc.code, err)
				}
				var ae smithy.APIError
				errors.As(err, &ae)
				if !strings.Contains(ae.ErrorMessage(), tc.message) {
					t.Errorf("message %q does not mention %q", ae.ErrorMessage(), tc.message)
				}
				if ae.ErrorFault() != smithy.FaultClient && proto != "awsquery" {
					t.Errorf("fault %v, want client", ae.ErrorFault())
				}
			})
		}
	}
	st := env.Server.Accounting().API("monitoring", "GetMetricData")
	if want := int64(len(cases) * len(cwProtocols)); st.ClientErrors != want || st.OK != 0 {
		t.Errorf("accounting: %d client errors, %d OK; want %d and 0", st.ClientErrors, st.OK, want)
	}
}

func TestGetMetricDataThrottledThenRetried(t *testing.T) {
	// Two GetMetricData a second, a bucket of one: back-to-back calls are
	// throttled and the SDK's standard retryer absorbs it.
	env := startCW(t, sim.WithQuotas(sim.Quotas{GetMetricData: 2, BurstSeconds: 0.5}))
	cl := cwClient(env.Config, "cbor", func(o *cloudwatch.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.MaxAttempts = 10 })
	})
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor),
		MetricDataQueries: []types.MetricDataQuery{cwStatQuery("a", cwFnMetric(fleet.NSLambda, "Invocations", "api"), "Sum", 86400)}}
	for i := 0; i < 3; i++ {
		out, err := cl.GetMetricData(context.Background(), in)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if n := len(out.MetricDataResults[0].Values); n != 14 {
			t.Fatalf("call %d: %d values", i, n)
		}
	}
	st := env.Server.Accounting().API("monitoring", "GetMetricData")
	if st.Throttled == 0 || st.OK != 3 {
		t.Errorf("accounting %+v: want throttles absorbed and 3 calls OK", st)
	}
	t.Run("datapoint quota", func(t *testing.T) {
		// 100 datapoints a second, a bucket of 100: a 14×300-datapoint
		// request is admitted only with a full bucket, the next one waits.
		env := startCW(t, sim.WithQuotas(sim.Quotas{DatapointsOld: 100, DatapointsRecent: 100, BurstSeconds: 1}))
		cl := cwClient(env.Config, "cbor", func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 })
		var qs []types.MetricDataQuery
		for i := 0; i < 300; i++ {
			qs = append(qs, cwStatQuery(fmt.Sprintf("q%d", i), cwFnMetric(fleet.NSLambda, "Invocations", "api"), "Sum", 86400))
		}
		in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor), MetricDataQueries: qs}
		if _, err := cl.GetMetricData(context.Background(), in); err != nil {
			t.Fatalf("first call: %v", err)
		}
		_, err := cl.GetMetricData(context.Background(), in)
		if c := cwCode(err); c != "Throttling" {
			t.Errorf("second call: code %s, want Throttling (%v)", c, err)
		}
	})
}

func TestGetMetricDataBilling(t *testing.T) {
	env := startCW(t)
	dur := cwFnMetric(fleet.NSLambda, "Duration", "api")
	var qs []types.MetricDataQuery
	for i, stat := range []string{"Sum", "Average", "Minimum", "Maximum", "SampleCount", "p50", "p99"} {
		qs = append(qs, cwStatQuery(fmt.Sprintf("d%d", i), dur, stat, 86400))
	}
	qs = append(qs,
		cwStatQuery("dup", dur, "p99", 3600), // same metric and statistic at another period: not a new one
		cwStatQuery("inv", cwFnMetric(fleet.NSLambda, "Invocations", "api"), "Sum", 86400),
		cwStatQuery("none", cwFnMetric(fleet.NSLambda, "Invocations", "nobody"), "Sum", 86400))
	out, err := cwClient(env.Config, "cbor").GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor), MetricDataQueries: qs})
	if err != nil {
		t.Fatal(err)
	}
	values := 0
	for _, r := range out.MetricDataResults {
		values += len(r.Values)
	}
	st := env.Server.Accounting().API("monitoring", "GetMetricData")
	// Duration with 7 statistics bills as 2 metrics; Invocations of api and
	// of nobody as one each. Per answered call: on a loaded machine the SDK
	// may retry a call whose answer it lost on a closed keep-alive
	// connection, and AWS bills each answered attempt, as the sim does.
	if st.OK < 1 {
		t.Fatalf("no answered GetMetricData call: %+v", st)
	}
	if st.MetricsRequested != 4*st.OK {
		t.Errorf("MetricsRequested = %d over %d answered calls, want 4 a call (7 statistics of one metric = 2)", st.MetricsRequested, st.OK)
	}
	if st.Datapoints != int64(values)*st.OK || values != 7*14+14*24+14 {
		t.Errorf("Datapoints = %d over %d answered calls, returned %d, want %d a call", st.Datapoints, st.OK, values, 7*14+14*24+14)
	}
}

func TestGetMetricStatistics(t *testing.T) {
	env := startCW(t)
	r := cwRegion(t, env)
	cases := []struct {
		name     string
		m        fleet.MetricID
		stats    []types.Statistic
		extended []string
		start    time.Time
		period   time.Duration
		unit     string
	}{
		{"duration all statistics", cwFnMetric(fleet.NSLambda, "Duration", "api"), []types.Statistic{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}, []string{"p50", "p99"}, cwTwoWeeksAgo, cwDay, "Milliseconds"},
		{"invocations hourly", cwFnMetric(fleet.NSLambda, "Invocations", "worker"), []types.Statistic{"Sum"}, nil, cwAnchor.Add(-cwDay), time.Hour, "Count"},
		{"memory percentiles only", cwFnMetric(fleet.NSInsights, "memory_utilization", "api"), nil, []string{"p90", "p99.9"}, cwTwoWeeksAgo, cwDay, "Percent"},
		{"used memory", cwFnMetric(fleet.NSInsights, "used_memory_max", "api"), []types.Statistic{"Maximum"}, nil, cwTwoWeeksAgo, cwDay, "Megabytes"},
		{"log bytes", cwFnMetric(fleet.NSLogs, "IncomingBytes", "api"), []types.Statistic{"Sum"}, nil, cwTwoWeeksAgo, cwDay, "Bytes"},
		{"async event age", cwFnMetric(fleet.NSLambda, "AsyncEventAge", "worker"), []types.Statistic{"Maximum"}, nil, cwTwoWeeksAgo, cwDay, "Milliseconds"},
		{"region concurrency", fleet.MetricID{Namespace: fleet.NSLambda, Name: "ConcurrentExecutions"}, []types.Statistic{"Maximum"}, nil, cwTwoWeeksAgo, cwDay, "Count"},
	}
	for _, proto := range cwProtocols {
		cl := cwClient(env.Config, proto)
		for _, tc := range cases {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				in := &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String(tc.m.Namespace), MetricName: aws.String(tc.m.Name),
					StartTime: aws.Time(tc.start), EndTime: aws.Time(simtest.Now), Period: aws.Int32(int32(tc.period / time.Second)),
					Statistics: tc.stats, ExtendedStatistics: tc.extended}
				in.Dimensions = cwSDKMetric(tc.m).Dimensions
				out, err := cl.GetMetricStatistics(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				if aws.ToString(out.Label) != tc.m.Name {
					t.Errorf("label %q, want %q", aws.ToString(out.Label), tc.m.Name)
				}
				// One row per timestamp, ascending, each statistic as the fleet says.
				for _, stat := range tc.stats {
					want := cwExpected(r, tc.m, string(stat), tc.start, simtest.Now, tc.period, true)
					if len(out.Datapoints) != len(want.Times) || len(want.Times) == 0 {
						t.Fatalf("%d datapoints, fleet has %d", len(out.Datapoints), len(want.Times))
					}
					for i, dp := range out.Datapoints {
						got := map[types.Statistic]*float64{"SampleCount": dp.SampleCount, "Average": dp.Average, "Sum": dp.Sum, "Minimum": dp.Minimum, "Maximum": dp.Maximum}[stat]
						if !dp.Timestamp.Equal(want.Times[i]) || got == nil || *got != want.Values[i] {
							t.Errorf("%s[%d]: %v %v, want %v %v", stat, i, dp.Timestamp, got, want.Times[i], want.Values[i])
						}
						if string(dp.Unit) != tc.unit {
							t.Errorf("unit %s, want %s", dp.Unit, tc.unit)
						}
					}
				}
				for _, x := range tc.extended {
					want := cwExpected(r, tc.m, x, tc.start, simtest.Now, tc.period, true)
					if len(out.Datapoints) != len(want.Times) {
						t.Fatalf("%d datapoints, fleet has %d", len(out.Datapoints), len(want.Times))
					}
					for i, dp := range out.Datapoints {
						if v, ok := dp.ExtendedStatistics[x]; !ok || v != want.Values[i] {
							t.Errorf("%s[%d] = %v, want %v", x, i, dp.ExtendedStatistics, want.Values[i])
						}
					}
				}
				for _, dp := range out.Datapoints {
					for _, s := range []struct {
						name string
						v    *float64
					}{{"SampleCount", dp.SampleCount}, {"Average", dp.Average}, {"Sum", dp.Sum}, {"Minimum", dp.Minimum}, {"Maximum", dp.Maximum}} {
						asked := false
						for _, w := range tc.stats {
							asked = asked || string(w) == s.name
						}
						if (s.v != nil) != asked {
							t.Errorf("%s present = %v, asked = %v", s.name, s.v != nil, asked)
						}
					}
				}
			})
		}
	}
	errCases := []struct {
		name string
		in   cloudwatch.GetMetricStatisticsInput
		code string
		msg  string
	}{
		{"1441 datapoints", cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Invocations"), StartTime: aws.Time(cwAnchor.Add(-1441 * time.Minute)), EndTime: aws.Time(cwAnchor), Period: aws.Int32(60), Statistics: []types.Statistic{"Sum"}}, "InvalidParameterCombination", "You have requested up to 1441 datapoints, which exceeds the limit of 1440"},
		{"no statistics", cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Invocations"), StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor), Period: aws.Int32(60)}, "InvalidParameterCombination", "Statistics"},
		{"bad statistic", cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Invocations"), StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor), Period: aws.Int32(86400), Statistics: []types.Statistic{"Median"}}, "InvalidParameterValue", "Median"},
		{"bad extended statistic", cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Invocations"), StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor), Period: aws.Int32(86400), ExtendedStatistics: []string{"Average"}}, "InvalidParameterValue", "Average"},
		{"missing namespace", cloudwatch.GetMetricStatisticsInput{MetricName: aws.String("Invocations"), StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor), Period: aws.Int32(86400), Statistics: []types.Statistic{"Sum"}}, "MissingParameter", "The parameter Namespace is required."},
		{"missing period", cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Invocations"), StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor), Statistics: []types.Statistic{"Sum"}}, "MissingParameter", "Period"},
		{"bad period", cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Invocations"), StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor), Period: aws.Int32(61), Statistics: []types.Statistic{"Sum"}}, "InvalidParameterValue", "Period"},
		{"dimension without value", cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Invocations"), Dimensions: []types.Dimension{{Name: aws.String("FunctionName")}}, StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor), Period: aws.Int32(86400), Statistics: []types.Statistic{"Sum"}}, "MissingParameter", "Dimensions.member.1.Value"},
	}
	for _, proto := range cwProtocols {
		cl := cwClient(env.Config, proto, cwRawInput)
		for _, tc := range errCases {
			t.Run(proto+"/error/"+tc.name, func(t *testing.T) {
				_, err := cl.GetMetricStatistics(context.Background(), &tc.in)
				if c := cwCode(err); c != tc.code {
					t.Fatalf("code %s, want %s (%v)", c, tc.code, err)
				}
				if !strings.Contains(err.Error(), tc.msg) {
					t.Errorf("%v does not mention %q", err, tc.msg)
				}
			})
		}
	}
	t.Run("unit filter", func(t *testing.T) {
		cl := cwClient(env.Config, "cbor")
		for unit, n := range map[types.StandardUnit]int{"Milliseconds": 14, "Seconds": 0} {
			out, err := cl.GetMetricStatistics(context.Background(), &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Duration"),
				Dimensions: cwSDKMetric(cwFnMetric(fleet.NSLambda, "Duration", "api")).Dimensions, StartTime: aws.Time(cwTwoWeeksAgo), EndTime: aws.Time(cwAnchor), Period: aws.Int32(86400), Statistics: []types.Statistic{"Average"}, Unit: unit})
			if err != nil || len(out.Datapoints) != n {
				t.Errorf("Unit %s: %d datapoints (%v), want %d", unit, len(out.Datapoints), err, n)
			}
		}
	})
}

// listAll walks ListMetrics to the end.
func cwListAll(t *testing.T, cl *cloudwatch.Client, in *cloudwatch.ListMetricsInput) ([]string, int) {
	t.Helper()
	var out []string
	pages := 0
	p := cloudwatch.NewListMetricsPaginator(cl, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Metrics) > 500 {
			t.Errorf("page of %d metrics", len(page.Metrics))
		}
		if page.OwningAccounts != nil && len(page.OwningAccounts) != len(page.Metrics) {
			t.Errorf("%d OwningAccounts for %d metrics", len(page.OwningAccounts), len(page.Metrics))
		}
		for _, m := range page.Metrics {
			out = append(out, cwMetricString(m))
		}
	}
	return out, pages
}

func cwMetricString(m types.Metric) string {
	s := aws.ToString(m.Namespace) + " " + aws.ToString(m.MetricName)
	for _, d := range m.Dimensions {
		s += " " + aws.ToString(d.Name) + "=" + aws.ToString(d.Value)
	}
	return s
}

func cwFleetString(m fleet.MetricID) string {
	s := m.Namespace + " " + m.Name
	for _, d := range m.Dims {
		s += " " + d.Name + "=" + d.Value
	}
	return s
}

func TestListMetrics(t *testing.T) {
	env := startCW(t)
	r := cwRegion(t, env)
	var all []string
	r.Metrics(func(m fleet.MetricID) bool {
		fn := ""
		if len(m.Dims) > 0 {
			fn = strings.TrimPrefix(m.Dims[0].Value, "/aws/lambda/")
		}
		if fn == "idle" {
			return true // never invoked: no datapoints, not listed
		}
		// retired was invoked until two days ago: listed, not RecentlyActive.
		all = append(all, cwFleetString(m))
		return true
	})
	only := func(pred func(string) bool) []string {
		var out []string
		for _, m := range all {
			if pred(m) {
				out = append(out, m)
			}
		}
		return out
	}
	cases := []struct {
		name string
		in   cloudwatch.ListMetricsInput
		want []string
	}{
		{"everything", cloudwatch.ListMetricsInput{}, all},
		{"namespace", cloudwatch.ListMetricsInput{Namespace: aws.String("LambdaInsights")}, only(func(s string) bool { return strings.HasPrefix(s, "LambdaInsights ") })},
		{"metric name across namespaces", cloudwatch.ListMetricsInput{MetricName: aws.String("Invocations")}, only(func(s string) bool { return strings.Contains(s, " Invocations") })},
		{"dimension name", cloudwatch.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("LogGroupName")}}}, only(func(s string) bool { return strings.Contains(s, "LogGroupName=") })},
		{"function", cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/Lambda"), Dimensions: []types.DimensionFilter{{Name: aws.String("FunctionName"), Value: aws.String("worker")}}}, only(func(s string) bool { return strings.HasSuffix(s, "FunctionName=worker") })},
		{"function and name", cloudwatch.ListMetricsInput{MetricName: aws.String("Duration"), Dimensions: []types.DimensionFilter{{Name: aws.String("FunctionName"), Value: aws.String("api")}}}, []string{"AWS/Lambda Duration FunctionName=api"}},
		{"unknown function", cloudwatch.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("FunctionName"), Value: aws.String("nobody")}}}, nil},
		{"unknown namespace", cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/EC2")}, nil},
		{"recently active", cloudwatch.ListMetricsInput{RecentlyActive: types.RecentlyActivePt3h}, only(func(s string) bool { return !strings.Contains(s, "retired") })},
		{"linked accounts", cloudwatch.ListMetricsInput{IncludeLinkedAccounts: aws.Bool(true), Namespace: aws.String("AWS/Logs")}, only(func(s string) bool { return strings.HasPrefix(s, "AWS/Logs ") })},
		{"another owning account", cloudwatch.ListMetricsInput{OwningAccount: aws.String("210987654321")}, nil},
	}
	if len(all) != 37 {
		t.Fatalf("fixture: %d metrics, want 37 (api 14, worker 11, retired 7, region 5)", len(all))
	}
	for _, proto := range cwProtocols {
		cl := cwClient(env.Config, proto)
		for _, tc := range cases {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				got, _ := cwListAll(t, cl, &tc.in)
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("got %d metrics %q\nwant %d %q", len(got), got, len(tc.want), tc.want)
				}
			})
		}
	}
	t.Run("errors", func(t *testing.T) {
		cl := cwClient(env.Config, "cbor", cwRawInput)
		for name, in := range map[string]*cloudwatch.ListMetricsInput{
			"bad token":           {NextToken: aws.String("bm9wZQ")},
			"bad recent window":   {RecentlyActive: "PT1H"},
			"filter without name": {Dimensions: []types.DimensionFilter{{Value: aws.String("x")}}},
			"11 filters":          {Dimensions: make([]types.DimensionFilter, 11)},
		} {
			_, err := cl.ListMetrics(context.Background(), in)
			if c := cwCode(err); c != "InvalidParameterValue" && c != "MissingParameter" {
				t.Errorf("%s: code %s (%v)", name, c, err)
			}
		}
	})
}

// manyFunctions is a spec of n invoked functions in one region.
func cwManyFunctions(n int) string {
	var b strings.Builder
	b.WriteString("seed: 3\naccounts:\n  - id: \"123456789012\"\n    regions:\n      - name: us-east-1\n        functions:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "          - name: fn-%05d\n            profile: {invocations: %d}\n", i, 100+i%50)
	}
	return b.String()
}

func TestListMetricsPaginates(t *testing.T) {
	env := simtest.Start(t, cwManyFunctions(300), sim.WithQuotas(sim.Quotas{})) // 300 × 7 + 5 = 2105 metrics
	for _, proto := range cwProtocols {
		t.Run(proto, func(t *testing.T) {
			got, pages := cwListAll(t, cwClient(env.Config, proto), &cloudwatch.ListMetricsInput{})
			if len(got) != 2105 || pages != 5 {
				t.Errorf("%d metrics in %d pages, want 2105 in 5", len(got), pages)
			}
			seen := map[string]bool{}
			for _, m := range got {
				if seen[m] {
					t.Errorf("%s listed twice", m)
				}
				seen[m] = true
			}
		})
	}
	t.Run("token bound to its filters", func(t *testing.T) {
		cl := cwClient(env.Config, "cbor", func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 })
		out, err := cl.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{})
		if err != nil || out.NextToken == nil {
			t.Fatalf("%v, token %v", err, out.NextToken)
		}
		_, err = cl.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{NextToken: out.NextToken, Namespace: aws.String("AWS/Lambda")})
		if c := cwCode(err); c != "InvalidParameterValue" {
			t.Errorf("token with other filters: %s (%v)", c, err)
		}
	})
}
