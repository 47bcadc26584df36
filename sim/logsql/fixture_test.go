package logsql

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"strings"
	"time"
)

// lambdaRecord is a Lambda log event as the simulated account serves it:
// text-format (@type, @duration, …) or JSON-format (dotted fields).
type lambdaRecord struct {
	ts, w    int64
	typ      string // REPORT, START, END, or "" for an application line
	msg      string
	log      string
	stream   string
	dur      float64 // REPORT only, ms
	billed   float64 // REPORT only, ms
	memMB    float64 // REPORT only; @memorySize is in bytes
	usedMB   float64 // REPORT only; @maxMemoryUsed is in bytes
	initMs   float64 // REPORT of a cold start only
	jsonKeys map[string]Value
}

func (r *lambdaRecord) Weight() int64    { return r.w }
func (r *lambdaRecord) Timestamp() int64 { return r.ts }

func (r *lambdaRecord) Field(name string) (Value, bool) {
	switch name {
	case "@timestamp":
		return Num(float64(r.ts)), true
	case "@message":
		return Str(r.msg), true
	case "@log":
		return Str(r.log), true
	case "@logStream":
		return Str(r.stream), true
	}
	if r.jsonKeys != nil {
		v, ok := r.jsonKeys[name]
		return v, ok
	}
	if name == "@type" {
		return Str(r.typ), r.typ != ""
	}
	if r.typ != "REPORT" {
		return Value{}, false
	}
	switch name {
	case "@duration":
		return Num(r.dur), true
	case "@billedDuration":
		return Num(r.billed), true
	case "@memorySize":
		return Num(r.memMB * 1e6), true
	case "@maxMemoryUsed":
		return Num(r.usedMB * 1e6), true
	case "@initDuration":
		return Num(r.initMs), r.initMs > 0
	}
	return Value{}, false
}

func ms(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

const (
	logA = "123456789012:/aws/lambda/alpha"
	logB = "123456789012:/aws/lambda/beta"
)

func report(ts int64, w int64, log string, dur, billed, memMB, usedMB, initMs float64, status string) *lambdaRecord {
	msg := fmt.Sprintf("REPORT RequestId: r%d\tDuration: %.2f ms\tBilled Duration: %.0f ms\tMemory Size: %.0f MB\tMax Memory Used: %.0f MB\t", ts, dur, billed, memMB, usedMB)
	if initMs > 0 {
		msg += fmt.Sprintf("Init Duration: %.2f ms\t", initMs)
	}
	if status != "" {
		msg += "Status: " + status
	}
	return &lambdaRecord{ts: ts, w: w, typ: "REPORT", msg: msg, log: log, stream: "2024/05/01/[$LATEST]abc",
		dur: dur, billed: billed, memMB: memMB, usedMB: usedMB, initMs: initMs}
}

func textLine(ts, w int64, log, typ, msg string) *lambdaRecord {
	return &lambdaRecord{ts: ts, w: w, typ: typ, msg: msg, log: log, stream: "2024/05/01/[$LATEST]abc"}
}

// textFleet is a small text-format fleet with known answers.
func textFleet() []Record {
	return []Record{
		textLine(ms("2024-05-01T10:00:00Z"), 3, logA, "START", "START RequestId: r1 Version: $LATEST"),
		report(ms("2024-05-01T10:00:00Z"), 3, logA, 100, 100, 128, 60, 0, ""),
		report(ms("2024-05-01T11:00:00Z"), 1, logA, 200, 200, 128, 70, 150.5, ""),
		textLine(ms("2024-05-01T11:30:00Z"), 2, logA, "", "2024-05-01T11:30:00Z r9 Task timed out after 3.00 seconds"),
		report(ms("2024-05-02T01:00:00Z"), 2, logA, 3000, 3000, 128, 128, 0, "timeout"),
		report(ms("2024-05-01T12:00:00Z"), 5, logB, 10, 10, 256, 30, 0, ""),
		textLine(ms("2024-05-01T12:00:00Z"), 5, logB, "END", "END RequestId: r2"),
	}
}

func jsonReport(ts, w int64, log string, durMs, maxMemMB float64, status string) *lambdaRecord {
	msg := fmt.Sprintf(`{"time":"x","type":"platform.report","record":{"requestId":"r","metrics":{"durationMs":%g,"maxMemoryUsedMB":%g},"status":%q}}`, durMs, maxMemMB, status)
	return &lambdaRecord{ts: ts, w: w, msg: msg, log: log, stream: "s", jsonKeys: map[string]Value{
		"type":                           Str("platform.report"),
		"record.requestId":               Str("r"),
		"record.metrics.durationMs":      Num(durMs),
		"record.metrics.maxMemoryUsedMB": Num(maxMemMB),
		"record.status":                  Str(status),
	}}
}

func jsonFleet() []Record {
	return []Record{
		jsonReport(ms("2024-05-01T10:00:00Z"), 4, logA, 12.5, 80, "success"),
		jsonReport(ms("2024-05-01T10:05:00Z"), 1, logA, 900, 120, "timeout"),
		&lambdaRecord{ts: ms("2024-05-01T10:00:00Z"), w: 4, msg: `{"type":"platform.start"}`, log: logA, stream: "s",
			jsonKeys: map[string]Value{"type": Str("platform.start")}},
		jsonReport(ms("2024-05-01T10:00:00Z"), 7, logB, 3, 40, "success"),
	}
}

// randomFleet makes n text-format records with random weights (some 0),
// integer-valued numbers and some absent fields.
func randomFleet(seed uint64, n int) []Record {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	logs := []string{logA, logB, "123456789012:/aws/lambda/gamma"}
	start := ms("2024-05-01T00:00:00Z")
	out := make([]Record, 0, n)
	for range n {
		ts := start + rng.Int64N(2*24*3600*1000)
		w := rng.Int64N(41) // 0..40
		log := logs[rng.IntN(len(logs))]
		if rng.IntN(5) == 0 {
			out = append(out, textLine(ts, w, log, "START", "START RequestId: x"))
			continue
		}
		var init float64
		if rng.IntN(4) == 0 {
			init = float64(100 + rng.IntN(400))
		}
		status := ""
		if rng.IntN(10) == 0 {
			status = "timeout"
		}
		dur := float64(1 + rng.IntN(500))
		out = append(out, report(ts, w, log, dur, dur+1, 128, float64(20+rng.IntN(100)), init, status))
	}
	return out
}

// expand replaces each record by Weight() copies of weight 1.
func expand(recs []Record) []Record {
	var out []Record
	for _, r := range recs {
		lr := r.(*lambdaRecord)
		for range r.Weight() {
			c := *lr
			c.w = 1
			out = append(out, &c)
		}
	}
	return out
}

func seqOf(recs []Record) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		for _, r := range recs {
			if !yield(r) {
				return
			}
		}
	}
}

// render writes rows as `field=value` lists, one row a line, @ptr left out.
func render(rows [][]ResultField) []string {
	out := make([]string, 0, len(rows))
	for _, row := range rows {
		var parts []string
		for _, f := range row {
			if f.Field == "@ptr" {
				continue
			}
			parts = append(parts, f.Field+"="+f.Value)
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

// mapRecord is a record with arbitrary fields, for expression tests.
type mapRecord struct {
	ts, w  int64
	fields map[string]Value
}

func (r *mapRecord) Field(name string) (Value, bool) { v, ok := r.fields[name]; return v, ok }
func (r *mapRecord) Weight() int64                   { return r.w }
func (r *mapRecord) Timestamp() int64                { return r.ts }
