package logstats

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/lambdaudit/lambdaudit/metrics"
)

// logsResultRow builds a result row from "field=value" pairs.
func logsResultRow(kv ...string) []types.ResultField {
	out := make([]types.ResultField, 0, len(kv))
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		out = append(out, types.ResultField{Field: aws.String(k), Value: aws.String(v)})
	}
	return out
}

func TestRowMapper(t *testing.T) {
	w := metrics.Window{End: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Days: 3}
	const log = "@log=111111111111:/aws/lambda/a"
	day2 := "bin(1d)=2026-11-20 00:00:00.000"
	show := func(s *Stats, day int) string {
		var b strings.Builder
		for _, x := range []struct {
			k string
			s metrics.Series
		}{{"inv", s.Invocations}, {"cold", s.ColdStarts}, {"to", s.Timeouts}, {"oom", s.OutOfMemory},
			{"mem", s.MemoryMaxMB}, {"p99", s.MemoryP99MB}, {"p95i", s.InitP95Ms}, {"init", s.InitTotalMs}, {"billed", s.BilledDurationMs}} {
			if x.s[day] != nil {
				fmt.Fprintf(&b, "%s=%v ", x.k, *x.s[day])
			}
		}
		return strings.TrimSpace(b.String())
	}
	for _, tc := range []struct {
		name       string
		row        []types.ResultField
		want       string // day 2 of /aws/lambda/a
		unexpected int
		err        string
	}{
		{"a full Text row", logsResultRow(log, day2, "invocations=2000", "coldStarts=50", "timeoutReports=4", "timeoutLines=4",
			"outOfMemory=1", "memoryMaxMB=512", "memoryP99MB=400", "initP95Ms=1200", "initTotalMs=17500.5", "billedMs=123456"),
			"inv=2000 cold=50 to=4 oom=1 mem=512 p99=400 p95i=1200 init=17500.5 billed=123456", 0, ""},
		{"timeouts from the REPORT status alone: a Task timed out column is not read", logsResultRow(log, day2, "invocations=10", "coldStarts=0", "timeoutReports=2", "timeoutLines=3",
			"outOfMemory=0", "memoryMaxMB=60", "memoryP99MB=60", "billedMs=900"),
			"inv=10 cold=0 to=2 oom=0 mem=60 p99=60 init=0 billed=900", 0, ""},
		{"JSON row without out-of-memory values: zero counts, no p95", logsResultRow(log, day2, "invocations=5", "coldStarts=0", "timeoutReports=0",
			"memoryMaxMB=60", "memoryP99MB=60", "billedMs=900"),
			"inv=5 cold=0 to=0 oom=0 mem=60 p99=60 init=0 billed=900", 0, ""},
		{"another account's group", logsResultRow("@log=222222222222:/aws/lambda/a", day2, "invocations=5"), "", 1, ""},
		{"a group not queried", logsResultRow("@log=111111111111:/aws/lambda/zz", day2, "invocations=5"), "", 1, ""},
		{"a day after the window", logsResultRow(log, "bin(1d)=2026-11-21 00:00:00.000", "invocations=5"), "", 1, ""},
		{"only timeout lines, no REPORT", logsResultRow(log, day2, "invocations=0", "timeoutLines=1"), "", 1, ""},
		{"not a number", logsResultRow(log, day2, "invocations=lots"), "", 0, `invocations = "lots" is not a number`},
		{"bad bin", logsResultRow(log, "bin(1d)=yesterday", "invocations=1"), "", 0, `bin(1d) = "yesterday"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := logsRowMapper{account: "111111111111", window: w, stats: map[string]*Stats{"/aws/lambda/a": newStats("/aws/lambda/a", w.Days)}}
			err := m.add(tc.row)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := m.stats["/aws/lambda/a"]
			if got := show(s, 2); got != tc.want {
				t.Errorf("day 2:\n got %s\nwant %s", got, tc.want)
			}
			if show(s, 0) != "" || show(s, 1) != "" {
				t.Errorf("other days must stay no data: %q %q", show(s, 0), show(s, 1))
			}
			if m.unexpected != tc.unexpected {
				t.Errorf("unexpected rows %d, want %d", m.unexpected, tc.unexpected)
			}
		})
	}
}

// BenchmarkRowMapper maps a full page of results: 10,000 rows, 50 log
// groups × 200 days.
func BenchmarkRowMapper(b *testing.B) {
	w := metrics.Window{End: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Days: 200}
	var rows [][]types.ResultField
	for g := range 50 {
		for d := range w.Days {
			rows = append(rows, logsResultRow(fmt.Sprintf("@log=111111111111:/aws/lambda/fn-%02d", g),
				"bin(1d)="+w.DayStart(d).Format(logsBinLayout), "invocations=2000", "coldStarts=50", "timeoutReports=4",
				"timeoutLines=4", "outOfMemory=1", "memoryMaxMB=512", "memoryP99MB=400", "initP95Ms=1200",
				"initTotalMs=17500.5", "billedMs=123456"))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		m := logsRowMapper{account: "111111111111", window: w, stats: map[string]*Stats{}}
		for g := range 50 {
			name := fmt.Sprintf("/aws/lambda/fn-%02d", g)
			m.stats[name] = newStats(name, w.Days)
		}
		for _, r := range rows {
			if err := m.add(r); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(rows)), "ns/row")
}
