package logsql

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchFleet makes n text-format records of weight w each over 40
// functions and 7 days: REPORT lines (some cold starts, some timeouts)
// and START lines.
func benchFleet(n int, w int64) []Record {
	rng := rand.New(rand.NewPCG(1, 2))
	start := ms("2024-05-01T00:00:00Z")
	logs := make([]string, 40)
	for i := range logs {
		logs[i] = fmt.Sprintf("123456789012:/aws/lambda/fn-%02d", i)
	}
	recs := make([]Record, 0, n)
	for i := range n {
		ts := start + rng.Int64N(7*24*3600*1000)
		log := logs[i%len(logs)]
		if i%10 == 9 {
			recs = append(recs, textLine(ts, w, log, "START", "START RequestId: x Version: $LATEST"))
			continue
		}
		var init float64
		if rng.IntN(20) == 0 {
			init = 100 + float64(rng.IntN(900))
		}
		status := ""
		if rng.IntN(200) == 0 {
			status = "timeout"
		}
		dur := float64(rng.IntN(3000)) + 0.25
		recs = append(recs, report(ts, w, log, dur, dur+1, 512, float64(50+rng.IntN(400)), init, status))
	}
	return recs
}

// BenchmarkRun runs lambdaudit's daily fleet query over 50,000 records of
// weight 20: 1,000,000 events.
func BenchmarkRun(b *testing.B) {
	q := mustParse(b, qFleetDaily)
	recs := benchFleet(50000, 20)
	seq := seqOf(recs)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := q.Run(ctx, seq, 10000)
		if err != nil {
			b.Fatal(err)
		}
		if res.RecordsScanned != 1e6 {
			b.Fatalf("scanned %v", res.RecordsScanned)
		}
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRunEvents runs the timeout search (no stats) over the same fleet.
func BenchmarkRunEvents(b *testing.B) {
	q := mustParse(b, `fields @timestamp, @message | filter @message like /Status: timeout/ | sort @timestamp desc | limit 20`)
	recs := benchFleet(50000, 20)
	seq := seqOf(recs)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.Run(ctx, seq, 10000); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(qFleetDaily); err != nil {
			b.Fatal(err)
		}
	}
}
