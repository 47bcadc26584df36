package sim_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// benchServer serves a generated fleet in-process, without quotas or
// latency, so a benchmark measures the handler alone.
func cwBenchServer(b *testing.B, functions int) (*sim.Server, *fleet.Region) {
	b.Helper()
	spec, err := fleet.Parse([]byte(fmt.Sprintf("seed: 11\ngenerate:\n  functions: %d\n  accounts: [\"123456789012\"]\n  regions: [us-east-1]\n", functions)))
	if err != nil {
		b.Fatal(err)
	}
	f, err := fleet.Build(spec, simtest.Now)
	if err != nil {
		b.Fatal(err)
	}
	s, err := sim.New(f, sim.WithClock(func() time.Time { return simtest.Now }), sim.WithLatency(sim.Latency{}), sim.WithQuotas(sim.Quotas{}))
	if err != nil {
		b.Fatal(err)
	}
	r := f.Account("123456789012").Region("us-east-1")
	if r == nil || len(r.Functions) != functions {
		b.Fatalf("generated fleet: %v", r)
	}
	return s, r
}

// gmd500Body is lambdaudit's scan request for 71 functions from first:
// 7 queries each (Invocations, Errors, Throttles Sum; Duration Average,
// Maximum, p99; ConcurrentExecutions Maximum), then three more to reach
// 500, over two weeks to now: 15 daily datapoints a query.
func cwGMD500Body(b *testing.B, r *fleet.Region, first int, proto string) []byte {
	metrics := []string{"Invocations", "Errors", "Throttles", "Duration", "Duration", "Duration", "ConcurrentExecutions"}
	stats := []string{"Sum", "Sum", "Sum", "Average", "Maximum", "p99", "Maximum"}
	start, end := simtest.Now.Truncate(24*time.Hour).Add(-14*24*time.Hour), simtest.Now
	var queries []any
	form := url.Values{"Action": {"GetMetricData"}, "Version": {"2010-08-01"}, "StartTime": {start.Format(time.RFC3339)}, "EndTime": {end.Format(time.RFC3339)}}
	for i := 0; i < 500; i++ {
		fn := r.Functions[(first+i/len(metrics))%len(r.Functions)].Name
		k := i % len(metrics)
		id := "q" + strconv.Itoa(i)
		queries = append(queries, map[string]any{"Id": id, "MetricStat": map[string]any{
			"Metric": map[string]any{"Namespace": "AWS/Lambda", "MetricName": metrics[k], "Dimensions": []any{map[string]any{"Name": "FunctionName", "Value": fn}}},
			"Period": 86400, "Stat": stats[k]}})
		p := "MetricDataQueries.member." + strconv.Itoa(i+1) + "."
		form.Set(p+"Id", id)
		form.Set(p+"MetricStat.Metric.Namespace", "AWS/Lambda")
		form.Set(p+"MetricStat.Metric.MetricName", metrics[k])
		form.Set(p+"MetricStat.Metric.Dimensions.member.1.Name", "FunctionName")
		form.Set(p+"MetricStat.Metric.Dimensions.member.1.Value", fn)
		form.Set(p+"MetricStat.Period", "86400")
		form.Set(p+"MetricStat.Stat", stats[k])
	}
	switch proto {
	case "cbor":
		return cwCBORBody(b, map[string]any{"StartTime": start, "EndTime": end, "MetricDataQueries": queries})
	case "awsjson10":
		return []byte(fmt.Sprintf(`{"StartTime":%d,"EndTime":%d,"MetricDataQueries":%s}`, start.Unix(), end.Unix(), string(cwMust(json.Marshal(queries)))))
	}
	return []byte(form.Encode())
}

// BenchmarkGetMetricData500 answers one 500-query GetMetricData (7
// metrics × ~71 functions, 15 daily datapoints each = 7,500 values) of a
// generated 10,000-function fleet, in-process through ServeHTTP: parse,
// validate, compute from the fleet model, encode.
//
//	warm: the same 71 functions every op (the fleet's cwDay cache is hot)
//	cold: the next 71 functions every op, as a scan walks the fleet
//
// go test ./sim -run '^$' -bench BenchmarkGetMetricData500 -benchmem
func BenchmarkGetMetricData500(b *testing.B) {
	s, r := cwBenchServer(b, 10000)
	b.Run("fleet only", func(b *testing.B) {
		// The fleet model's share: Region.Datapoints for the same 500
		// queries, without HTTP, parsing or encoding.
		metrics := []string{"Invocations", "Errors", "Throttles", "Duration", "Duration", "Duration", "ConcurrentExecutions"}
		stats := []string{"Sum", "Sum", "Sum", "Average", "Maximum", "p99", "Maximum"}
		start := simtest.Now.Truncate(24 * time.Hour).Add(-14 * 24 * time.Hour)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			n := 0
			for q := 0; q < 500; q++ {
				st, _ := fleet.ParseStat(stats[q%7])
				m := fleet.MetricID{Namespace: fleet.NSLambda, Name: metrics[q%7], Dims: []fleet.Dim{{Name: "FunctionName", Value: r.Functions[q/7].Name}}}
				n += len(r.Datapoints(m, st, start, simtest.Now, 24*time.Hour, simtest.Now))
			}
			if n == 0 {
				b.Fatal("no datapoints")
			}
			b.ReportMetric(float64(n), "values/op")
		}
	})
	for _, tc := range []struct {
		name  string
		proto string
		cold  bool
	}{
		{"cbor/warm", "cbor", false},
		{"cbor/cold", "cbor", true},
		{"awsjson10/warm", "awsjson10", false},
		{"awsquery/warm", "awsquery", false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bodies := [][]byte{cwGMD500Body(b, r, 0, tc.proto)}
			if tc.cold {
				bodies = bodies[:0]
				for first := 0; first+72 <= len(r.Functions); first += 72 {
					bodies = append(bodies, cwGMD500Body(b, r, first, tc.proto))
				}
			}
			// One answer checked outside the timer.
			s.ResetAccounting()
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, cwRequest(b, "http://sim.test", tc.proto, "GetMetricData", bodies[0]))
			if rec.Code != 200 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
			}
			values := float64(s.Accounting().API("monitoring", "GetMetricData").Datapoints)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, cwRequest(b, "http://sim.test", tc.proto, "GetMetricData", bodies[i%len(bodies)]))
				if rec.Code != 200 {
					b.Fatalf("status %d", rec.Code)
				}
			}
			b.ReportMetric(values, "values/op")
		})
	}
}

// BenchmarkListMetrics100k lists metrics of a 100,000-function region:
// the first page, a page deep in the enumeration (from a token) and one
// function's metrics by dimension filter. No page materialises the region.
//
// go test ./sim -run '^$' -bench BenchmarkListMetrics100k -benchmem
func BenchmarkListMetrics100k(b *testing.B) {
	s, r := cwBenchServer(b, 100000)
	// A token deep in the enumeration: tokens are opaque, so walk 100
	// pages outside the timer.
	tok := ""
	for p := 0; p < 100; p++ {
		form := "Action=ListMetrics&Version=2010-08-01"
		if tok != "" {
			form += "&NextToken=" + url.QueryEscape(tok)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, cwRequest(b, "http://sim.test", "awsquery", "", []byte(form)))
		if rec.Code != 200 {
			b.Fatalf("page %d: %d %s", p, rec.Code, rec.Body.Bytes())
		}
		tok = cwXMLText(rec.Body.String(), "NextToken")
		if tok == "" {
			b.Fatalf("page %d has no NextToken", p)
		}
	}
	mid := r.Functions[len(r.Functions)/2].Name
	for name, form := range map[string]string{
		"first page":      "Action=ListMetrics&Version=2010-08-01",
		"page 101":        "Action=ListMetrics&Version=2010-08-01&NextToken=" + url.QueryEscape(tok),
		"one function":    "Action=ListMetrics&Version=2010-08-01&Dimensions.member.1.Name=FunctionName&Dimensions.member.1.Value=" + mid,
		"recent insights": "Action=ListMetrics&Version=2010-08-01&Namespace=LambdaInsights&RecentlyActive=PT3H",
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, cwRequest(b, "http://sim.test", "awsquery", "", []byte(form)))
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
				}
			}
		})
	}
}

func cwMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func cwXMLText(doc, elem string) string {
	start := "<" + elem + ">"
	i := strings.Index(doc, start)
	if i < 0 {
		return ""
	}
	rest := doc[i+len(start):]
	j := strings.Index(rest, "</"+elem+">")
	if j < 0 {
		return ""
	}
	return rest[:j]
}
