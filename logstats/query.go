package logstats

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/lambdaudit/lambdaudit/metrics"
)

// QueryText is the Logs Insights query over Text-format log groups.
// It reads the fields Logs Insights discovers in REPORT lines
// (@maxMemoryUsed is in bytes, MB × 1,000,000). Timeouts are the REPORT
// records with "Status: timeout": current runtimes no longer log a "Task
// timed out after" line, and where older ones still do, their REPORT
// carries the status too, so the line is neither needed nor counted.
// Only REPORT lines have @duration, so count(@duration) counts
// invocations.
const QueryText = `filter @type = "REPORT"
| stats count(@duration) as invocations,
    count(@initDuration) as coldStarts,
    sum(strcontains(@message, "Status: timeout")) as timeoutReports,
    sum(strcontains(@message, "Runtime.OutOfMemory")) as outOfMemory,
    max(@maxMemoryUsed / 1000 / 1000) as memoryMaxMB,
    pct(@maxMemoryUsed / 1000 / 1000, 99) as memoryP99MB,
    max(@memorySize / 1000 / 1000) as memorySizeMB,
    pct(@initDuration, 95) as initP95Ms,
    sum(@initDuration) as initTotalMs,
    sum(@billedDuration) as billedMs
  by @log, bin(1d)`

// QueryJSON is the Logs Insights query over JSON-format log groups:
// the platform.report records and their flattened record.* keys.
const QueryJSON = `filter type = "platform.report"
| stats count(*) as invocations,
    count(record.metrics.initDurationMs) as coldStarts,
    sum(strcontains(record.status, "timeout")) as timeoutReports,
    sum(strcontains(record.errorType, "Runtime.OutOfMemory")) as outOfMemory,
    max(record.metrics.maxMemoryUsedMB) as memoryMaxMB,
    pct(record.metrics.maxMemoryUsedMB, 99) as memoryP99MB,
    max(record.metrics.memorySizeMB) as memorySizeMB,
    pct(record.metrics.initDurationMs, 95) as initP95Ms,
    sum(record.metrics.initDurationMs) as initTotalMs,
    sum(record.metrics.billedDurationMs) as billedMs
  by @log, bin(1d)`

// Query is the query for a log format.
func Query(format string) (string, error) {
	switch format {
	case LogFormatText, "":
		return QueryText, nil
	case LogFormatJSON:
		return QueryJSON, nil
	}
	return "", fmt.Errorf("logs query: %s %q", ReasonLogFormat, format)
}

// Stats is what the REPORT records of one log group say, per window
// day. A nil day means the log group had no REPORT record that day (no
// data, not zero); on a day with records the counts are numbers, zero
// included, and InitTotalMs is 0 when there was no cold start while
// InitP95Ms stays nil (no percentile of nothing).
type Stats struct {
	LogGroup string `json:"logGroup"`
	// SharedLogGroup: several functions log to this group, and every one
	// of them carries the group's combined stats.
	SharedLogGroup bool `json:"sharedLogGroup,omitempty"`
	// Invocations counts REPORT records.
	Invocations metrics.Series `json:"invocations"`
	// ColdStarts counts REPORT records with an Init Duration.
	ColdStarts metrics.Series `json:"coldStarts"`
	// Timeouts counts timed-out invocations: REPORT records with status
	// timeout (Text "Status: timeout", JSON record.status "timeout").
	Timeouts metrics.Series `json:"timeouts"`
	// OutOfMemory counts REPORT records ending in Runtime.OutOfMemory.
	OutOfMemory metrics.Series `json:"outOfMemory"`
	// MemoryMaxMB and MemoryP99MB are Max Memory Used, MB (nearest-rank
	// p99 as Logs Insights pct computes it).
	MemoryMaxMB metrics.Series `json:"memoryMaxMB"`
	// MemorySizeMB is the largest Memory Size of the day's REPORT lines:
	// the configured memory the day was billed at (a function whose
	// memory changed shows it here, while its configuration has today's).
	MemorySizeMB metrics.Series `json:"memorySizeMB"`
	MemoryP99MB  metrics.Series `json:"memoryP99MB"`
	// InitP95Ms and InitTotalMs are over the cold starts' Init Duration.
	InitP95Ms   metrics.Series `json:"initP95Ms"`
	InitTotalMs metrics.Series `json:"initTotalMs"`
	// BilledDurationMs is the sum of Billed Duration.
	BilledDurationMs metrics.Series `json:"billedDurationMs"`
}

func newStats(group string, days int) *Stats {
	return &Stats{LogGroup: group,
		Invocations: metrics.NewSeries(days), ColdStarts: metrics.NewSeries(days), Timeouts: metrics.NewSeries(days),
		OutOfMemory: metrics.NewSeries(days), MemoryMaxMB: metrics.NewSeries(days), MemoryP99MB: metrics.NewSeries(days), MemorySizeMB: metrics.NewSeries(days),
		InitP95Ms: metrics.NewSeries(days), InitTotalMs: metrics.NewSeries(days), BilledDurationMs: metrics.NewSeries(days)}
}

// logsBinLayout is how Logs Insights renders bin() and @timestamp values.
const logsBinLayout = "2006-01-02 15:04:05.000"

// logsRowMapper maps result rows of one query back to log groups and days.
type logsRowMapper struct {
	account string
	window  metrics.Window
	stats   map[string]*Stats // by log group name
	// unexpected counts rows that name no queried group or fall outside
	// the window.
	unexpected int
}

// logsRow holds one result row's values by column; absent columns stay nil.
type logsRow struct {
	invocations, coldStarts, timeoutReports, outOfMemory         *float64
	memoryMax, memoryP99, memorySize, initP95, initTotal, billed *float64
}

func (r *logsRow) slot(field string) **float64 {
	switch field {
	case "invocations":
		return &r.invocations
	case "coldStarts":
		return &r.coldStarts
	case "timeoutReports":
		return &r.timeoutReports
	case "outOfMemory":
		return &r.outOfMemory
	case "memoryMaxMB":
		return &r.memoryMax
	case "memoryP99MB":
		return &r.memoryP99
	case "memorySizeMB":
		return &r.memorySize
	case "initP95Ms":
		return &r.initP95
	case "initTotalMs":
		return &r.initTotal
	case "billedMs":
		return &r.billed
	}
	return nil
}

func logsZeroIfNil(p *float64) *float64 {
	if p == nil {
		return new(float64)
	}
	return p
}

// add maps one result row. A row that names no queried log group or
// falls outside the window is counted, not an error; a value that is not
// a number is an error.
func (m *logsRowMapper) add(fields []types.ResultField) error {
	var r logsRow
	var log, bin string
	for _, f := range fields {
		name, value := aws.ToString(f.Field), aws.ToString(f.Value)
		switch name {
		case "@log":
			log = value
			continue
		case "bin(1d)":
			bin = value
			continue
		}
		p := r.slot(name)
		if p == nil {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return fmt.Errorf("result row %s %s: %s = %q is not a number", log, bin, name, value)
		}
		*p = &v
	}
	account, group, ok := strings.Cut(log, ":")
	st := m.stats[group]
	if !ok || account != m.account || st == nil {
		m.unexpected++
		return nil
	}
	t, err := time.Parse(logsBinLayout, bin)
	if err != nil {
		return fmt.Errorf("result row %s: bin(1d) = %q: %w", log, bin, err)
	}
	day := m.window.DayIndex(t)
	if day < 0 || r.invocations == nil || *r.invocations == 0 {
		m.unexpected++ // outside the window, or no REPORT line that day
		return nil
	}
	timeouts := logsZeroIfNil(r.timeoutReports)
	initTotal := r.initTotal
	if initTotal == nil && (r.coldStarts == nil || *r.coldStarts == 0) {
		initTotal = new(float64)
	}
	st.Invocations[day] = r.invocations
	st.ColdStarts[day] = logsZeroIfNil(r.coldStarts)
	st.Timeouts[day] = timeouts
	st.OutOfMemory[day] = logsZeroIfNil(r.outOfMemory)
	st.MemoryMaxMB[day] = r.memoryMax
	st.MemoryP99MB[day] = r.memoryP99
	st.MemorySizeMB[day] = r.memorySize
	st.InitP95Ms[day] = r.initP95
	st.InitTotalMs[day] = initTotal
	st.BilledDurationMs[day] = r.billed
	return nil
}
