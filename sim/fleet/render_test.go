package fleet

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// renderFmt is renderTo as it was written with fmt, before it moved to
// strconv appends for speed: the reference every message must still match
// byte for byte (Logs Insights answers, IncomingBytes and the bytes a query
// scans all derive from these messages).
func renderFmt(fn *Function, kind string, b *Invocation, id string, ms int64) string {
	m := new(bytes.Buffer)
	jt := func(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }
	ms2 := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	if fn.LogFormat == FormatJSN {
		t := jt(ms)
		switch kind {
		case EvStart:
			fmt.Fprintf(m, `{"time":%q,"type":"platform.start","record":{"requestId":%q,"version":"$LATEST"}}`, t, id)
		case EvEnd:
			fmt.Fprintf(m, `{"time":%q,"type":"platform.runtimeDone","record":{"requestId":%q,"status":%q,"metrics":{"durationMs":%s,"producedBytes":0}}}`, t, id, statusWord(b.Status), ms2(b.Duration))
		case EvReport:
			fmt.Fprintf(m, `{"time":%q,"type":"platform.report","record":{"requestId":%q,"metrics":{"durationMs":%s,"billedDurationMs":%d,"memorySizeMB":%d,"maxMemoryUsedMB":%d`, t, id, ms2(b.Duration), b.Billed, b.MemSize, b.MemUsed)
			if b.Init > 0 {
				fmt.Fprintf(m, `,"initDurationMs":%s`, ms2(b.Init))
			}
			fmt.Fprintf(m, `},"status":%q`, statusWord(b.Status))
			if b.Status == StatusOOM {
				m.WriteString(`,"errorType":"Runtime.OutOfMemory"`)
			}
			m.WriteString("}}")
		default:
			level := "INFO"
			if kind != EvApp {
				level = "ERROR"
			}
			var txt bytes.Buffer
			fn.appendAppText(&txt, kind, id, b)
			fmt.Fprintf(m, `{"timestamp":%q,"level":%q,"requestId":%q,"message":%q}`, t, level, id, txt.String())
		}
		return m.String()
	}
	switch kind {
	case EvStart:
		fmt.Fprintf(m, "START RequestId: %s Version: $LATEST\n", id)
	case EvEnd:
		fmt.Fprintf(m, "END RequestId: %s\n", id)
	case EvReport:
		fmt.Fprintf(m, "REPORT RequestId: %s\tDuration: %s ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t", id, ms2(b.Duration), b.Billed, b.MemSize, b.MemUsed)
		if b.Init > 0 {
			fmt.Fprintf(m, "Init Duration: %s ms\t", ms2(b.Init))
		}
		switch b.Status {
		case StatusTimeout:
			m.WriteString("Status: timeout\n")
		case StatusOOM:
			m.WriteString("Status: error\tError Type: Runtime.OutOfMemory\n")
		default:
			m.WriteString("\n")
		}
	case EvTimeout:
		fmt.Fprintf(m, "%s %s ", jt(ms), id)
		fn.appendAppText(m, kind, id, b)
		m.WriteString("\n")
	case EvOOM:
		fmt.Fprintf(m, "RequestId: %s Error: ", id)
		fn.appendAppText(m, kind, id, b)
		m.WriteString("\n")
	default:
		fmt.Fprintf(m, "%s\t%s\tINFO\t", jt(ms), id)
		fn.appendAppText(m, kind, id, b)
		m.WriteString("\n")
	}
	return m.String()
}

// eventBytesRef is eventBytes rendering every message with renderFmt.
func eventBytesRef(fn *Function, b *Invocation) (n, events int64) {
	size := func(kind string) int64 { return int64(len(renderFmt(fn, kind, b, sampleID, sampleMs))) }
	n, events = size(EvStart)+size(EvEnd)+size(EvReport), 3
	if lines := int64(fn.appLogLines()); lines > 0 {
		n += lines * size(EvApp)
		events += lines
	}
	switch b.Status {
	case StatusTimeout:
		if fn.TimeoutLine() {
			n += size(EvTimeout)
			events++
		}
	case StatusOOM:
		n += size(EvOOM)
		events++
	}
	return n, events
}

// TestRenderMatchesFmt checks every message kind of every block of every
// day of a generated fleet with all anomalies (both log formats, timeouts,
// out-of-memory ends, cold starts) and of the example fleet against the
// fmt reference, and eventBytes against the sum of those messages.
func TestRenderMatchesFmt(t *testing.T) {
	mix := map[string]float64{}
	for _, k := range AnomalyKinds {
		mix[k] = 0.05
	}
	for _, tc := range []struct {
		name string
		f    *Fleet
	}{
		{"generated", buildGen(t, 3, 150, nil, nil, mix)},
		{"example", buildExample(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stamps := []int64{sampleMs, 0, 1767225600001, 1767312000999, 253402300799999, -1000}
			var kinds, blocks, json, timeoutLines int
			for _, a := range tc.f.Accounts {
				for _, r := range a.Regions {
					for _, fn := range r.Functions {
						if fn.LogFormat == FormatJSN {
							json++
						}
						if fn.TimeoutLine() {
							timeoutLines++
						}
						for d := 0; d <= tc.f.Days; d++ {
							day := fn.Day(d)
							if day == nil {
								continue
							}
							for i, b := range day.Blocks() {
								blocks++
								id := requestID(fn.seed, int64(d), b.Seq)
								for _, k := range []string{EvStart, EvEnd, EvReport, EvApp, EvTimeout, EvOOM} {
									ms := stamps[(i+d)%len(stamps)]
									if got, want := fn.render(k, &b, id, ms), renderFmt(fn, k, &b, id, ms); got != want {
										t.Fatalf("%s day %d block %d %s:\n got %q\nwant %q", fn.Name, d, i, k, got, want)
									}
									kinds++
								}
								gn, ge := fn.eventBytes(&b)
								if wn, we := eventBytesRef(fn, &b); gn != wn || ge != we {
									t.Fatalf("%s day %d block %d: eventBytes = %d bytes %d events, want %d, %d", fn.Name, d, i, gn, ge, wn, we)
								}
							}
						}
					}
				}
			}
			if blocks == 0 || json == 0 {
				t.Fatalf("fleet too plain for the test: %d blocks, %d JSON-format functions", blocks, json)
			}
			t.Logf("%d messages of %d blocks; %d JSON-format functions, %d with a timeout line", kinds, blocks, json, timeoutLines)
		})
	}
}

// BenchmarkIncomingBytes is the scan's IncomingBytes estimate of a log
// group: a 15-day daily Sum, which measures every block's messages.
func BenchmarkIncomingBytes(b *testing.B) {
	f := buildGen(b, 5, 200, nil, nil, nil)
	r := f.Accounts[0].Regions[0]
	st, _ := ParseStat("Sum")
	now := f.Anchor.Add(6 * time.Hour)
	start := f.Anchor.Add(-15 * 24 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		for _, fn := range r.Functions {
			r.Datapoints(MetricID{NSLogs, "IncomingBytes", []Dim{{"LogGroupName", fn.LogGroup}}}, st, start, f.Anchor, 24*time.Hour, now)
		}
	}
}
