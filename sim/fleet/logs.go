package fleet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Log event kinds of a Lambda log group.
const (
	EvStart   = "START"
	EvEnd     = "END"
	EvReport  = "REPORT"
	EvApp     = "APP"
	EvTimeout = "TIMEOUT"
	EvOOM     = "OOM"
)

// LogEvent is one weighted log event: W identical events of one block.
type LogEvent struct {
	Fn     *Function
	Kind   string
	Block  *Invocation
	W      int64
	TimeMs int64
	// RequestID is shared by the W events of the block.
	RequestID string
	Stream    string
	msg       string
}

// Message renders the event's @message in the function's log format.
func (e *LogEvent) Message() string {
	if e.msg == "" {
		e.msg = e.Fn.render(e.Kind, e.Block, e.RequestID, e.TimeMs)
	}
	return e.msg
}

// Field returns a discovered field: text-format REPORT lines give @type,
// @requestId, @duration, @billedDuration, @memorySize and @maxMemoryUsed
// (bytes, MB × 1,000,000), @initDuration; JSON-format events give their
// JSON keys flattened with dots (type, record.metrics.durationMs, …).
// Every event has @timestamp, @message, @log, @logStream.
func (e *LogEvent) Field(name string) (num float64, str string, isNum, ok bool) {
	switch name {
	case "@timestamp":
		return float64(e.TimeMs), "", true, true
	case "@message":
		return 0, e.Message(), false, true
	case "@log":
		return 0, e.Fn.Region.Account.ID + ":" + e.Fn.LogGroup, false, true
	case "@logStream":
		return 0, e.Stream, false, true
	}
	b := e.Block
	if e.Fn.LogFormat == FormatJSN {
		return e.jsonField(name)
	}
	switch name {
	case "@type":
		switch e.Kind {
		case EvStart, EvEnd, EvReport:
			return 0, e.Kind, false, true
		}
		return 0, "", false, false
	case "@requestId":
		if e.Kind == EvStart || e.Kind == EvEnd || e.Kind == EvReport {
			return 0, e.RequestID, false, true
		}
		return 0, "", false, false
	}
	if e.Kind != EvReport {
		return 0, "", false, false
	}
	switch name {
	case "@duration":
		return b.Duration, "", true, true
	case "@billedDuration":
		return float64(b.Billed), "", true, true
	case "@memorySize":
		return float64(b.MemSize) * 1e6, "", true, true
	case "@maxMemoryUsed":
		return float64(b.MemUsed) * 1e6, "", true, true
	case "@initDuration":
		if b.Init > 0 {
			return b.Init, "", true, true
		}
	}
	return 0, "", false, false
}

func (e *LogEvent) jsonField(name string) (float64, string, bool, bool) {
	b := e.Block
	switch e.Kind {
	case EvStart, EvEnd, EvReport:
		typ := map[string]string{EvStart: "platform.start", EvEnd: "platform.runtimeDone", EvReport: "platform.report"}[e.Kind]
		switch name {
		case "type":
			return 0, typ, false, true
		case "time":
			return 0, jsonTime(e.TimeMs), false, true
		case "record.requestId":
			return 0, e.RequestID, false, true
		case "record.version":
			if e.Kind == EvStart {
				return 0, "$LATEST", false, true
			}
		case "record.status":
			if e.Kind != EvStart {
				return 0, statusWord(b.Status), false, true
			}
		case "record.errorType":
			if e.Kind == EvReport && b.Status == StatusOOM {
				return 0, "Runtime.OutOfMemory", false, true
			}
		case "record.metrics.durationMs":
			if e.Kind != EvStart {
				return b.Duration, "", true, true
			}
		}
		if e.Kind == EvReport {
			switch name {
			case "record.metrics.billedDurationMs":
				return float64(b.Billed), "", true, true
			case "record.metrics.memorySizeMB":
				return float64(b.MemSize), "", true, true
			case "record.metrics.maxMemoryUsedMB":
				return float64(b.MemUsed), "", true, true
			case "record.metrics.initDurationMs":
				if b.Init > 0 {
					return b.Init, "", true, true
				}
			}
		}
	case EvApp, EvTimeout, EvOOM:
		switch name {
		case "timestamp":
			return 0, jsonTime(e.TimeMs), false, true
		case "level":
			if e.Kind == EvApp {
				return 0, "INFO", false, true
			}
			return 0, "ERROR", false, true
		case "requestId":
			return 0, e.RequestID, false, true
		case "message":
			var m bytes.Buffer
			e.Fn.appendAppText(&m, e.Kind, e.RequestID, e.Block)
			return 0, m.String(), false, true
		}
	}
	return 0, "", false, false
}

func statusWord(s uint8) string {
	switch s {
	case StatusTimeout:
		return "timeout"
	case StatusOOM:
		return "error"
	}
	return "success"
}

func jsonTime(ms int64) string {
	var a [24]byte
	return string(appendJSONTime(a[:0], ms))
}

// appendJSONTime appends ms as time.Format("2006-01-02T15:04:05.000Z") of
// its UTC time would, without the layout parsing: the sim renders this
// stamp for every JSON-format event it measures or returns.
func appendJSONTime(dst []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	}
	dst = appendPad(dst, y, 4)
	dst = append(dst, '-')
	dst = appendPad(dst, int(mo), 2)
	dst = append(dst, '-')
	dst = appendPad(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendPad(dst, h, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, mi, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, sec, 2)
	dst = append(dst, '.')
	dst = appendPad(dst, t.Nanosecond()/1e6, 3)
	return append(dst, 'Z')
}

// appendPad appends v (≥ 0) zero-padded to width digits.
func appendPad(dst []byte, v, width int) []byte {
	var a [8]byte
	i := len(a)
	for ; width > 0 || v > 0; width-- {
		i--
		a[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, a[i:]...)
}

func (fn *Function) appendAppText(m *bytes.Buffer, kind, id string, b *Invocation) {
	switch kind {
	case EvTimeout:
		fmt.Fprintf(m, "Task timed out after %s seconds", strconv.FormatFloat(float64(fn.TimeoutS), 'f', 2, 64))
	case EvOOM:
		m.WriteString("Runtime exited with error: signal: killed Runtime.OutOfMemory")
	default:
		n := fn.appLogBytes() - 60
		m.WriteString("handled request ")
		for m.Len() < n {
			m.WriteString("lorem ipsum ")
		}
	}
}

func (fn *Function) appLogLines() int {
	if fn.Profile.AppLogLines != nil {
		return *fn.Profile.AppLogLines
	}
	return 2
}

func (fn *Function) appLogBytes() int {
	if fn.Profile.AppLogBytes != nil {
		return *fn.Profile.AppLogBytes
	}
	return 120
}

// render is an event's message the way Lambda logs it.
func (fn *Function) render(kind string, b *Invocation, id string, ms int64) string {
	var m bytes.Buffer
	fn.renderTo(&m, kind, b, id, ms)
	return m.String()
}

// renderTo writes an event's message to m. It appends with strconv
// rather than fmt: IncomingBytes answers and Logs Insights byte counts
// measure every block's messages, tens of millions at 50,000 functions.
func (fn *Function) renderTo(m *bytes.Buffer, kind string, b *Invocation, id string, ms int64) {
	var a [64]byte
	q := func(s string) { writeQuoted(m, s) }
	num := func(v int64) { m.Write(strconv.AppendInt(a[:0], v, 10)) }
	dur := func(v float64) { m.Write(strconv.AppendFloat(a[:0], v, 'f', 2, 64)) }
	if fn.LogFormat == FormatJSN {
		var ta [24]byte
		t := appendJSONTime(ta[:0], ms)
		qt := func() { m.WriteByte('"'); m.Write(t); m.WriteByte('"') } // %q of a time stamp: nothing to escape
		switch kind {
		case EvStart:
			m.WriteString(`{"time":`)
			qt()
			m.WriteString(`,"type":"platform.start","record":{"requestId":`)
			q(id)
			m.WriteString(`,"version":"$LATEST"}}`)
		case EvEnd:
			m.WriteString(`{"time":`)
			qt()
			m.WriteString(`,"type":"platform.runtimeDone","record":{"requestId":`)
			q(id)
			m.WriteString(`,"status":`)
			q(statusWord(b.Status))
			m.WriteString(`,"metrics":{"durationMs":`)
			dur(b.Duration)
			m.WriteString(`,"producedBytes":0}}}`)
		case EvReport:
			m.WriteString(`{"time":`)
			qt()
			m.WriteString(`,"type":"platform.report","record":{"requestId":`)
			q(id)
			m.WriteString(`,"metrics":{"durationMs":`)
			dur(b.Duration)
			m.WriteString(`,"billedDurationMs":`)
			num(b.Billed)
			m.WriteString(`,"memorySizeMB":`)
			num(int64(b.MemSize))
			m.WriteString(`,"maxMemoryUsedMB":`)
			num(int64(b.MemUsed))
			if b.Init > 0 {
				m.WriteString(`,"initDurationMs":`)
				dur(b.Init)
			}
			m.WriteString(`},"status":`)
			q(statusWord(b.Status))
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
			m.WriteString(`{"timestamp":`)
			qt()
			m.WriteString(`,"level":`)
			q(level)
			m.WriteString(`,"requestId":`)
			q(id)
			m.WriteString(`,"message":`)
			writeQuoted(m, txt.String())
			m.WriteString("}")
		}
		return
	}
	switch kind {
	case EvStart:
		m.WriteString("START RequestId: ")
		m.WriteString(id)
		m.WriteString(" Version: $LATEST\n")
	case EvEnd:
		m.WriteString("END RequestId: ")
		m.WriteString(id)
		m.WriteString("\n")
	case EvReport:
		m.WriteString("REPORT RequestId: ")
		m.WriteString(id)
		m.WriteString("\tDuration: ")
		dur(b.Duration)
		m.WriteString(" ms\tBilled Duration: ")
		num(b.Billed)
		m.WriteString(" ms\tMemory Size: ")
		num(int64(b.MemSize))
		m.WriteString(" MB\tMax Memory Used: ")
		num(int64(b.MemUsed))
		m.WriteString(" MB\t")
		if b.Init > 0 {
			m.WriteString("Init Duration: ")
			dur(b.Init)
			m.WriteString(" ms\t")
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
		m.Write(appendJSONTime(a[:0], ms))
		m.WriteString(" ")
		m.WriteString(id)
		m.WriteString(" ")
		fn.appendAppText(m, kind, id, b)
		m.WriteString("\n")
	case EvOOM:
		m.WriteString("RequestId: ")
		m.WriteString(id)
		m.WriteString(" Error: ")
		fn.appendAppText(m, kind, id, b)
		m.WriteString("\n")
	default:
		m.Write(appendJSONTime(a[:0], ms))
		m.WriteString("\t")
		m.WriteString(id)
		m.WriteString("\tINFO\t")
		fn.appendAppText(m, kind, id, b)
		m.WriteString("\n")
	}
}

// writeQuoted writes s as %q (strconv.Quote) would; the request IDs,
// levels and messages the sim writes are plain printable ASCII, which
// needs only the quotes.
func writeQuoted(m *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			m.Write(strconv.AppendQuote(m.AvailableBuffer(), s))
			return
		}
	}
	m.WriteByte('"')
	m.WriteString(s)
	m.WriteByte('"')
}

// legacyTimeoutLine are the runtimes that still log a "Task timed out
// after N seconds" line for a timed-out invocation: the deprecated ones
// (Amazon Linux 1 and the early Amazon Linux 2 generation). Current
// runtimes write only the REPORT record with status timeout (AWS-FACTS.md:
// count timeouts from the REPORT status and never require the line); this
// split is the simulator's model, not an AWS statement per runtime.
var legacyTimeoutLine = map[string]bool{}

func init() {
	for _, r := range []string{
		"nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x",
		"python2.7", "python3.6", "python3.7", "python3.8",
		"java8", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6",
		"go1.x", "ruby2.5", "ruby2.7",
	} {
		legacyTimeoutLine[r] = true
	}
}

// TimeoutLine reports whether a timed-out invocation of the function logs
// a "Task timed out after" line besides its REPORT record: only on a
// legacy runtime (legacyTimeoutLine), never on Lambda Managed Instances.
func (fn *Function) TimeoutLine() bool {
	return fn.CapacityProvider == "" && legacyTimeoutLine[fn.Runtime]
}

// CapacityProviderARN is the Lambda Managed Instances capacity provider's
// ARN; empty for an on-demand function.
func (fn *Function) CapacityProviderARN() string {
	switch cp := fn.CapacityProvider; {
	case cp == "":
		return ""
	case strings.HasPrefix(cp, "arn:"):
		return cp
	default:
		return fmt.Sprintf("arn:aws:lambda:%s:%s:capacity-provider:%s", fn.Region.Name, fn.Region.Account.ID, cp)
	}
}

// sampleID is a request ID of the right length for byte counts.
const sampleID = "00000000-0000-4000-8000-000000000000"

// sampleMs is the time stamp of the messages eventBytes measures: every
// stamp renders to the same length.
const sampleMs = int64(1767225600000)

// eventBytes returns the bytes and events one invocation of the block
// writes to the log group.
func (fn *Function) eventBytes(b *Invocation) (n, events int64) {
	c := fn.constSizes()
	buf := renderBufs.Get().(*bytes.Buffer)
	defer renderBufs.Put(buf)
	size := func(kind string) int64 {
		buf.Reset()
		fn.renderTo(buf, kind, b, sampleID, sampleMs)
		return int64(buf.Len())
	}
	n = c.start + size(EvReport)
	if c.end >= 0 {
		n += c.end
	} else {
		n += size(EvEnd)
	}
	events = 3
	if lines := int64(fn.appLogLines()); lines > 0 {
		n += lines * c.app
		events += lines
	}
	switch b.Status {
	case StatusTimeout:
		if fn.TimeoutLine() {
			n += c.timeout
			events++
		}
	case StatusOOM:
		n += c.oom
		events++
	}
	return n, events
}

// eventSizes are the lengths of a function's messages that do not depend
// on the invocation (end is -1 where it does: JSON's runtimeDone carries
// the status and duration).
type eventSizes struct{ start, end, app, timeout, oom int64 }

// constSizes measures the invocation-independent messages once per
// function; eventBytes then renders only REPORT (and JSON's END) per block.
func (fn *Function) constSizes() *eventSizes {
	fn.sizesOnce.Do(func() {
		var b Invocation
		size := func(kind string) int64 { return int64(len(fn.render(kind, &b, sampleID, sampleMs))) }
		c := &eventSizes{start: size(EvStart), end: -1, app: size(EvApp), timeout: size(EvTimeout), oom: size(EvOOM)}
		if fn.LogFormat != FormatJSN {
			c.end = size(EvEnd)
		}
		fn.sizes = c
	})
	return fn.sizes
}

// renderBufs are the buffers eventBytes measures messages in: IncomingBytes
// metrics render every block's messages, so they must not allocate each.
var renderBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// LogBytes is what the log group holds for [start, end) up to now: the
// bytes a Logs Insights query over that range scans, and the events.
func (fn *Function) LogBytes(start, end, now time.Time) (bytes, events int64) {
	fn.Events(start, end, now, 24*time.Hour, func(e *LogEvent) bool {
		if e.Kind == EvReport {
			b, n := fn.eventBytes(e.Block)
			bytes += b * e.W
			events += n * e.W
		}
		return true
	})
	return bytes, events
}

// Events yields the function's weighted log events in [start, end) up to
// now, at a time resolution no coarser than res (24h, 1h or 1m): a day
// piece stamps its events inside the day, an hour piece inside the hour.
func (fn *Function) Events(start, end, now time.Time, res time.Duration, yield func(*LogEvent) bool) {
	f := fn.Region.fleet
	s := maxTime(start, fn.Created())
	e := minTime(end, now.Truncate(time.Minute))
	if !s.Before(e) {
		return
	}
	stop := false
	decompose(s, e, func(pr time.Duration, at time.Time) {
		if stop {
			return
		}
		if pr > res { // split further
			step := res
			for t := at; t.Before(at.Add(pr)) && !stop; t = t.Add(step) {
				stop = !fn.pieceEvents(f, step, t, yield)
			}
			return
		}
		stop = !fn.pieceEvents(f, pr, at, yield)
	})
}

func (fn *Function) pieceEvents(f *Fleet, res time.Duration, at time.Time, yield func(*LogEvent) bool) bool {
	daysAgo := int(f.Anchor.Sub(at.Truncate(24*time.Hour)) / (24 * time.Hour))
	d := fn.Day(daysAgo)
	if d == nil {
		return true
	}
	blocks := d.blocksAt(res, at.Hour(), at.Minute())
	span := res.Milliseconds()
	apps := int64(fn.appLogLines())
	stream := fmt.Sprintf("%s/[$LATEST]%016x", at.Format("2006/01/02"), fn.seed^uint64(at.Unix()/3600))
	for i := range blocks {
		b := &blocks[i]
		id := requestID(fn.seed, at.UnixMilli(), b.Seq)
		off := (int64(b.Seq)*7919 + int64(fn.seed%1000)) % span
		t := at.UnixMilli() + off
		ev := func(kind string, w int64, dt int64) bool {
			return yield(&LogEvent{Fn: fn, Kind: kind, Block: b, W: w, TimeMs: t + dt, RequestID: id, Stream: stream})
		}
		dur := int64(b.Duration)
		if !ev(EvStart, b.W, 0) {
			return false
		}
		if apps > 0 && !ev(EvApp, b.W*apps, 1) {
			return false
		}
		switch b.Status {
		case StatusTimeout:
			if fn.TimeoutLine() && !ev(EvTimeout, b.W, dur) {
				return false
			}
		case StatusOOM:
			if !ev(EvOOM, b.W, dur) {
				return false
			}
		}
		if !ev(EvEnd, b.W, dur) || !ev(EvReport, b.W, dur) {
			return false
		}
	}
	return true
}

// requestID is a deterministic UUID v4-shaped ID.
func requestID(seed uint64, ms int64, seq int32) string {
	h := fnv.New128a()
	var buf [20]byte
	binary.LittleEndian.PutUint64(buf[0:], seed)
	binary.LittleEndian.PutUint64(buf[8:], uint64(ms))
	binary.LittleEndian.PutUint32(buf[16:], uint32(seq))
	h.Write(buf[:])
	u := h.Sum(nil)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
