package bench_test

import (
	"fmt"

	"github.com/lambdaudit/lambdaudit/bench"
	"github.com/lambdaudit/lambdaudit/sim"
)

// The floor of scanning 10,000 functions of one region under AWS's
// default quotas and the simulated latencies: 200 ListFunctions pages,
// 100 GetResources pages and 85,000 metric queries. Tagging's 5 requests
// a second bound it.
func ExampleFloor() {
	need := bench.Need{ListFunctionsPages: 200, LambdaOther: 1, TaggingPages: 100, ListMetricsCalls: 11, ListMetricsChain: 1, Queries: 85000}
	fmt.Println(need.GetMetricDataCalls(), "GetMetricData calls")
	fmt.Println(bench.Floor(need, sim.DefaultQuotas(), sim.DefaultLatency()).Round(1e7))
	// Output:
	// 170 GetMetricData calls
	// 19.02s
}
