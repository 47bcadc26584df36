package csv_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/csv"
	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// The CSV cost report of a scan: price it (cost.Model), build the report
// (insights.Build), write one row per function. Here two functions of
// the simulated scan the notify tests share: one scanned, one whose CloudWatch and
// Logs calls were denied (its figures are empty, not 0).
func ExampleWriteReport() {
	f, err := os.Open(notifytest.Path("testdata/csv-scan.json"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	res, err := scanner.Decode(f)
	if err != nil {
		log.Fatal(err)
	}
	res.Functions = slices.DeleteFunc(res.Functions, func(fn scanner.Function) bool {
		return fn.Name != "checkout-api" && fn.Name != "billing-api"
	})

	now := time.Date(2026, 11, 21, 6, 30, 0, 0, time.UTC)
	costs, err := cost.Model(res, cost.Embedded(), cost.Options{Now: now})
	if err != nil {
		log.Fatal(err)
	}
	rep, err := insights.Build(res, insights.Options{Now: now})
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := csv.WriteReport(&buf, res, costs, rep); err != nil {
		log.Fatal(err)
	}
	// RFC 4180 lines end in CRLF; shown here with LF.
	fmt.Print(strings.ReplaceAll(buf.String(), "\r\n", "\n"))
	// Output:
	// report_day,account,region,function,runtime,architecture,memory_mb,timeout_s,invocations,errors,throttles,avg_duration_ms,p99_duration_ms,gb_seconds,report_day_cost_usd,avg_7d_cost_usd,month_to_date_usd,projected_month_usd,change_vs_7d_pct,cold_starts,max_memory_used_mb,monthly_savings_usd,insights,scan_status,tags
	// 2026-11-20,111111111111,us-east-1,checkout-api,nodejs22.x,arm64,512,6,40000,160,0,1338.2015,4100,26815.503,0.3655418277,0.3655418277,5.1175855878,10.6007130033,0,400,307,,deprecated-runtime near-timeout,scanned,cost-center==42+1; owner=@oncall; team=payments
	// 2026-11-20,222222222222,us-east-1,billing-api,nodejs22.x,arm64,512,10,,,,,,,,,,,,,,,deprecated-runtime,failed,team=billing
}
