package text_test

import (
	"log"
	"os"

	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
	"github.com/lambdaudit/lambdaudit/notify/text"
)

// The digest for a terminal, as `lambdaudit demo` prints it (colour only
// when stdout is a terminal).
func ExampleWrite() {
	if err := text.Write(os.Stdout, notifytest.ExampleReport(), false); err != nil {
		log.Fatal(err)
	}
	// Output:
	// Lambda digest · Fri 20 Nov 2026
	// account 111111111111 · 2 regions (eu-west-1, us-east-1) · 120 functions
	// report day 2026-11-20 (UTC) · generated 2026-11-21 06:30 UTC
	//
	// SUMMARY  the report day against the previous 7 days' average
	//   Health                  99.91 %  ▼ -0.05 pt worse    avg 99.96 %
	//   Invocations           1,200,000  ▲ +9.0 %            avg 1,100,000
	//   Errors                    1,080  ▲ +145 % worse      avg 440
	//   Cold starts               5,200  ▲ +1.9 % worse      avg 5,100 · 112 functions with cold-start data
	//   Cost of the day          $21.40  ▲ +13 % worse       avg $18.90
	//   Projected month         $641.20  ▲ +9.4 % worse      avg $585.90
	//
	// INSIGHTS (2)  1 critical · 1 warning · 0 info
	//
	// CRITICAL (1)  near-timeout 1
	//   ✖ checkout-api  us-east-1
	//     near timeout: 5.8 s of 6 s (max), p99 4.1 s
	//     → Find what the slowest invocations wait on, or raise the timeout with headroom.
	//
	// WARNINGS (1)  cold-starts 1
	//   ▲ <!channel>  eu-west-1
	//     cold starts: 410 of 2,000 invocations (20.5 %), p95 init 1.2 s
	//     → Trim the INIT phase or keep environments warm.
	//
	// TOP COST  the report day's costliest functions
	//    1. checkout-api  us-east-1  $6.12 (avg $5.95/day) · month ~$184.30
	//
	// BIGGEST MOVERS  against the previous 7 days' average
	//       pdf-render  eu-west-1    +$2.59/day (×3.0) → $3.83
	//
	// COVERAGE
	//   120 of 120 functions scanned in 2 of 2 account-regions; 112 invoked on the report day, 8 idle
	//
	// SCAN  what the scan itself cost
	//   $0.0042 of CloudWatch and Logs usage at list prices · 31 API calls (0 throttled, 0 failed) · 840
	//   metrics · 3 Logs Insights queries, 1.9 GB scanned · took 12s
}
