package logsql_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/lambdaudit/lambdaudit/sim/logsql"
)

// report is a REPORT line standing for n identical invocations.
type report struct {
	ts, n    int64
	log      string
	usedMB   float64
	coldInit float64
}

func (r report) Weight() int64    { return r.n }
func (r report) Timestamp() int64 { return r.ts }
func (r report) Field(name string) (logsql.Value, bool) {
	switch name {
	case "@type":
		return logsql.Str("REPORT"), true
	case "@log":
		return logsql.Str(r.log), true
	case "@maxMemoryUsed":
		return logsql.Num(r.usedMB * 1e6), true
	case "@initDuration":
		return logsql.Num(r.coldInit), r.coldInit > 0
	}
	return logsql.Value{}, false
}

func ExampleQuery_Run() {
	q, err := logsql.Parse(`filter @type = "REPORT"
		| stats count(*) as invocations, pct(@maxMemoryUsed, 99) as p99Mem, count(@initDuration) as coldStarts by @log, bin(1d)`)
	if err != nil {
		panic(err)
	}
	const day = 86400000
	records := []logsql.Record{
		report{ts: 19844 * day, n: 980, log: "123456789012:/aws/lambda/api", usedMB: 70},
		report{ts: 19844*day + 5, n: 20, log: "123456789012:/aws/lambda/api", usedMB: 120, coldInit: 310},
	}
	res, err := q.Run(context.Background(), slices.Values(records), 1000)
	if err != nil {
		panic(err)
	}
	for _, row := range res.Rows {
		for _, f := range row {
			fmt.Printf("%s=%s\n", f.Field, f.Value)
		}
	}
	fmt.Println("scanned", res.RecordsScanned)

	_, err = logsql.Parse(`stats median(@duration)`)
	fmt.Println(err)
	// Output:
	// @log=123456789012:/aws/lambda/api
	// bin(1d)=2024-05-01 00:00:00.000
	// invocations=1000
	// p99Mem=120000000
	// coldStarts=20
	// scanned 1000
	// unknown function "median" at position 6: the supported functions are strcontains, ispresent, isempty, abs, ceil, floor, sqrt, strlen, tolower, toupper, bin, and in stats count, sum, avg, min, max, pct, percentile
}
