package csv

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lambdaudit/lambdaudit/atomicfile"
	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/notify"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// Column is one column of the CSV cost report: its header and what
// its cells hold.
type Column struct {
	// Name is the header cell.
	Name string
	// Meaning says in one line what a cell holds and when it is empty.
	Meaning string
}

// ReportColumns are the columns WriteReport writes, in order. The README's
// table of the CSV is generated from them (notify/csv/testdata/csv-columns.md,
// checked by a test).
var ReportColumns = columnsOf(csvColumns)

// SummaryColumns are the columns WriteSummary writes, in order.
var SummaryColumns = columnsOf(csvSummaryColumns)

// csvRow is what the cells of one function's row are read from.
type csvRow struct {
	day string
	f   *scanner.Function
	// c is the function's cost (nil: no cost figures), L the report day's
	// index in the window.
	c *cost.FunctionCost
	L int
	// ins are the function's insights.
	ins []*insights.Insight
}

// csvCell is one column's definition and how to compute its cell.
type csvCell[R any] struct {
	Column
	// text marks a cell that carries text from AWS (or from the scan
	// file): it is neutralised against formula injection. Numbers and
	// dates are written by this package and never are (a negative change
	// stays a number).
	text bool
	cell func(r R) string
}

func columnsOf[R any](cols []csvCell[R]) []Column {
	out := make([]Column, len(cols))
	for i, c := range cols {
		out[i] = c.Column
	}
	return out
}

func awsText[R any](name, meaning string, cell func(r R) string) csvCell[R] {
	return csvCell[R]{Column{name, meaning}, true, cell}
}

func plain[R any](name, meaning string, cell func(r R) string) csvCell[R] {
	return csvCell[R]{Column{name, meaning}, false, cell}
}

var csvColumns = []csvCell[*csvRow]{
	plain("report_day", "the day the row is about (YYYY-MM-DD, UTC): the scan window's last day",
		func(r *csvRow) string { return r.day }),
	awsText("account", "AWS account ID",
		func(r *csvRow) string { return r.f.Account }),
	awsText("region", "AWS region",
		func(r *csvRow) string { return r.f.Region }),
	awsText("function", "function name",
		func(r *csvRow) string { return r.f.Name }),
	awsText("runtime", "runtime identifier (e.g. nodejs22.x); empty for a container image, which has none",
		func(r *csvRow) string { return r.f.Runtime }),
	awsText("architecture", "x86_64 or arm64",
		func(r *csvRow) string { return r.f.Architecture }),
	plain("memory_mb", "configured memory, MB (current configuration)",
		func(r *csvRow) string { return positiveInt(r.f.MemoryMB) }),
	plain("timeout_s", "configured timeout, seconds (current configuration)",
		func(r *csvRow) string { return positiveInt(r.f.TimeoutS) }),
	plain("invocations", "Invocations (Sum) of the report day; 0 when fetched without a datapoint (CloudWatch publishes counts only when there is something to count); empty when the metrics were not fetched",
		func(r *csvRow) string { return r.count(metrics.InvocationsSum) }),
	plain("errors", "Errors (Sum) of the report day, timeouts included; read like invocations",
		func(r *csvRow) string { return r.count(metrics.ErrorsSum) }),
	plain("throttles", "Throttles (Sum) of the report day; read like invocations",
		func(r *csvRow) string { return r.count(metrics.ThrottlesSum) }),
	plain("avg_duration_ms", "Duration Sum ÷ Invocations Sum of the report day, ms; empty without invocations or without a Duration datapoint",
		(*csvRow).avgDuration),
	plain("p99_duration_ms", "Duration p99 of the report day, ms; empty without a datapoint",
		func(r *csvRow) string { return r.stat(metrics.DurationP99) }),
	plain("gb_seconds", "billed compute of the report day in the cost model: (billed duration + billed INIT) ms ÷ 1000 × the day's memory MB ÷ 1024; empty when report_day_cost_usd is",
		(*csvRow).gbSeconds),
	plain("report_day_cost_usd", "the report day's cost, USD (the cost model's total: requests, duration, INIT, ephemeral storage, provisioned concurrency); empty when the model has no figure for the day: no Invocations datapoint (an idle day too), no duration, or no data at all",
		func(r *csvRow) string { return r.dayCost() }),
	plain("avg_7d_cost_usd", "mean daily cost of the 7 days before the report day that have a cost figure, USD; empty when none has",
		func(r *csvRow) string { return optNum(r.baseline()) }),
	plain("month_to_date_usd", "cost of the report day's month up to and including the report day (the window's days of that month with a cost figure), USD; empty when none has one",
		(*csvRow).monthToDate),
	plain("projected_month_usd", "the cost model's projection of the report day's month, USD: month to date + the mean daily cost of the last 7 days with a cost figure × the days left; empty without such a day",
		(*csvRow).projected),
	plain("change_vs_7d_pct", "(report_day_cost_usd − avg_7d_cost_usd) ÷ avg_7d_cost_usd × 100, to 4 decimals; empty when either is empty or the average is 0",
		(*csvRow).change),
	plain("cold_starts", "cold starts of the report day: REPORT records with an Init Duration (the function's own log group), else Lambda Insights init_duration SampleCount; empty without either",
		(*csvRow).coldStarts),
	plain("max_memory_used_mb", "largest Max Memory Used of the report day's REPORT records (own log group), else Lambda Insights used_memory_max Maximum, MB; empty without either",
		(*csvRow).maxMemory),
	plain("monthly_savings_usd", "the function's insights' estimated monthly savings summed, USD; empty when none of them carries an estimate",
		(*csvRow).savings),
	awsText("insights", "kinds of the function's insights, space-separated, critical first, then warning, then info, by name within a severity; empty for none",
		(*csvRow).kinds),
	awsText("scan_status", "scanned, partial (a stage failed: some cells are empty) or failed (no data: every figure is empty)",
		func(r *csvRow) string { return r.f.Status }),
	awsText("tags", "the function's tags as key=value pairs sorted by key, separated by \"; \"",
		func(r *csvRow) string { return tagList(r.f.Tags) }),
}

// WriteReport writes the CSV cost report: a header row (ReportColumns), then
// one row per function the scan listed, ordered by account, region and
// function name. It is RFC 4180 (encoding/csv, CRLF line ends); numbers
// are plain decimals without currency signs or thousands separators, so
// spreadsheets sum them; a cell without data is empty, never 0; there is
// no totals row (WriteSummary writes the account-regions' totals
// apart). A text cell that would start with =, +, -, @, a tab or a
// carriage return is prefixed with a single quote so that spreadsheets
// show it as text instead of evaluating it; control characters (ESC
// included) and bidirectional overrides are stripped from every text
// cell, tabs and line breaks become spaces.
//
// costs (cost.Model of res) and r (insights.Build of res) may be nil: the
// cost columns, respectively the savings and insights columns, are then
// empty. They must be of res's window.
func WriteReport(w io.Writer, res *scanner.Result, costs *cost.Costs, r *insights.Report) error {
	if res == nil {
		return errors.New("csv: no scan result")
	}
	if err := res.Window.Validate(); err != nil {
		return fmt.Errorf("csv: scan result: %w", err)
	}
	day := ReportDay(res.Window)
	if costs != nil && !sameWindow(costs.Window, res.Window) {
		return fmt.Errorf("csv: the costs are of the window ending %s (%d days), the scan of the window ending %s (%d days)",
			costs.Window.End.Format("2006-01-02"), costs.Window.Days, res.Window.End.Format("2006-01-02"), res.Window.Days)
	}
	if r != nil && r.ReportDay != day {
		return fmt.Errorf("csv: the report is about %s, the scan's report day is %s", r.ReportDay, day)
	}
	byCost := map[string]*cost.FunctionCost{}
	if costs != nil {
		for i := range costs.Functions {
			byCost[costs.Functions[i].ID] = &costs.Functions[i]
		}
	}
	byFn := map[string][]*insights.Insight{}
	if r != nil {
		for i := range r.Insights {
			in := &r.Insights[i]
			if in.Function != "" {
				id := in.Account + "/" + in.Region + "/" + in.Function
				byFn[id] = append(byFn[id], in)
			}
		}
	}
	fns := make([]*scanner.Function, len(res.Functions))
	for i := range res.Functions {
		fns[i] = &res.Functions[i]
	}
	slices.SortStableFunc(fns, func(a, b *scanner.Function) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Name, b.Name))
	})
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := writeTable(cw, csvColumns, func(yield func(*csvRow) bool) {
		for _, f := range fns {
			row := &csvRow{day: day, f: f, c: byCost[f.ID], L: res.Window.Days - 1, ins: byFn[f.ID]}
			if !yield(row) {
				return
			}
		}
	}); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}

// writeTable writes the header and the rows, and flushes. Text cells are
// cleaned as the digest cleans AWS text (clean: control characters — C0
// with ESC, DEL, C1 — and bidirectional overrides removed, tabs and line
// breaks made spaces, invalid UTF-8 made U+FFFD), then neutralised
// against formula injection.
func writeTable[R any](cw *csv.Writer, cols []csvCell[R], rows func(yield func(R) bool)) error {
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = c.Name
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	var err error
	rows(func(r R) bool {
		for i, c := range cols {
			v := c.cell(r)
			if c.text {
				v = neutralise(notify.Clean(v))
			}
			rec[i] = v
		}
		err = cw.Write(rec)
		return err == nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// neutralise prefixes a cell a spreadsheet would read as a formula (or
// whose first character it strips: tab, carriage return) with a single
// quote, so that it shows as text. OWASP's "CSV injection" list.
func neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// formatNumber writes v as a plain decimal (no exponent, no thousands
// separator) with 12 significant digits: enough for any cost, duration or
// GB-s figure, and free of float noise (0.30000000000000004 reads 0.3).
func formatNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	if err != nil {
		return ""
	}
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// formatCount writes an exact count (integers up to 2^53 exactly).
func formatCount(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	if v == 0 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func optNum(v *float64) string {
	if v == nil {
		return ""
	}
	return formatNumber(*v)
}

// positiveInt is a configuration value, empty when the scan did not have
// it (0).
func positiveInt(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func tagList(tags map[string]string) string {
	if len(tags) == 0 {
		return ""
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(tags[k])
	}
	return b.String()
}

// seriesAt is a series' value on day i and whether there is one.
func seriesAt(s metrics.Series, i int) (float64, bool) {
	if i < 0 || i >= len(s) || s[i] == nil {
		return 0, false
	}
	return *s[i], true
}

// count is a count metric of the report day: 0 when the metric was
// fetched and had no datapoint (CloudWatch publishes counts only for
// periods with something to count), empty when it was not fetched.
func (r *csvRow) count(key string) string {
	s, ok := r.f.Metrics[key]
	if !ok {
		return ""
	}
	v, _ := seriesAt(s, r.L)
	return formatCount(v)
}

// stat is a statistic of the report day, empty without a datapoint.
func (r *csvRow) stat(key string) string {
	if v, ok := seriesAt(r.f.Metrics[key], r.L); ok {
		return formatNumber(v)
	}
	return ""
}

func (r *csvRow) avgDuration() string {
	inv, ok := seriesAt(r.f.Metrics[metrics.InvocationsSum], r.L)
	if !ok || inv <= 0 {
		return ""
	}
	sum, ok := seriesAt(r.f.Metrics[metrics.DurationSum], r.L)
	if !ok {
		return ""
	}
	return formatNumber(sum / inv)
}

// ownLogs are the function's REPORT statistics when they are its own (not
// a shared log group's).
func (r *csvRow) ownLogs() *logstats.Stats {
	if l := r.f.Logs; l != nil && !l.SharedLogGroup {
		return l
	}
	return nil
}

// coldStarts reads the report day's cold starts as insights' summary
// does, so that the column sums to the summary's coldStarts.
func (r *csvRow) coldStarts() string {
	if l := r.ownLogs(); l != nil {
		if _, ok := seriesAt(l.Invocations, r.L); !ok {
			return ""
		}
		v, _ := seriesAt(l.ColdStarts, r.L)
		return formatCount(v)
	}
	if s, ok := r.f.Metrics[metrics.InitDurationSampleCount]; ok {
		if inv, ok := seriesAt(r.f.Metrics[metrics.InvocationsSum], r.L); ok && inv > 0 {
			v, _ := seriesAt(s, r.L)
			return formatCount(v)
		}
	}
	return ""
}

// maxMemory reads the memory rules' source: the function's own REPORT
// records, else Lambda Insights.
func (r *csvRow) maxMemory() string {
	if l := r.ownLogs(); l != nil {
		return optNum(ptrAt(l.MemoryMaxMB, r.L))
	}
	return optNum(ptrAt(r.f.Metrics[metrics.UsedMemoryMaxMaximum], r.L))
}

func ptrAt(s metrics.Series, i int) *float64 {
	if v, ok := seriesAt(s, i); ok {
		return &v
	}
	return nil
}

func (r *csvRow) day0() *cost.Breakdown {
	if r.c == nil || r.L >= len(r.c.Days) {
		return nil
	}
	return r.c.Days[r.L]
}

func (r *csvRow) dayCost() string {
	if b := r.day0(); b != nil {
		return formatNumber(b.Total)
	}
	return ""
}

func (r *csvRow) gbSeconds() string {
	if r.c == nil || r.L >= len(r.c.Usage) || r.c.Usage[r.L] == nil {
		return ""
	}
	return formatNumber(r.c.Usage[r.L].GBSeconds())
}

// baseline is the mean daily cost of the 7 days before the report day
// that have a cost figure.
func (r *csvRow) baseline() *float64 {
	if r.c == nil {
		return nil
	}
	return meanBefore(r.c.Days, r.L)
}

// baselineDays is how many days before the report day the 7-day average
// looks at.
const baselineDays = 7

func meanBefore(days []*cost.Breakdown, L int) *float64 {
	var sum float64
	k := 0
	for d := max(L-baselineDays, 0); d < L && d < len(days); d++ {
		if b := days[d]; b != nil {
			sum += b.Total
			k++
		}
	}
	if k == 0 {
		return nil
	}
	m := sum / float64(k)
	return &m
}

// changePct is the day's change against the baseline in percent, to a
// ten-thousandth of a percent: a day that costs what its average did
// reads 0, not the float noise of two sums of the same costs.
func changePct(day *cost.Breakdown, base *float64) string {
	if day == nil || base == nil || *base == 0 {
		return ""
	}
	return formatNumber(math.Round((day.Total-*base) / *base * 100 * 1e4) / 1e4)
}

func (r *csvRow) change() string { return changePct(r.day0(), r.baseline()) }

func (r *csvRow) monthToDate() string {
	if r.c == nil || r.c.MonthToDate == nil {
		return ""
	}
	return formatNumber(r.c.MonthToDate.Total)
}

func (r *csvRow) projected() string {
	if r.c == nil {
		return ""
	}
	return optNum(r.c.ProjectedMonth)
}

func (r *csvRow) savings() string {
	var sum float64
	has := false
	for _, in := range r.ins {
		if in.MonthlySavingUSD != nil {
			sum += *in.MonthlySavingUSD
			has = true
		}
	}
	if !has {
		return ""
	}
	return formatNumber(sum)
}

func severityRank(s insights.Severity) int {
	switch s {
	case insights.Critical:
		return 0
	case insights.Warning:
		return 1
	}
	return 2
}

func (r *csvRow) kinds() string {
	ins := slices.Clone(r.ins)
	slices.SortFunc(ins, func(a, b *insights.Insight) int {
		return cmp.Or(cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)), cmp.Compare(a.Kind, b.Kind))
	})
	kinds := make([]string, 0, len(ins))
	for _, in := range ins {
		if !slices.Contains(kinds, in.Kind) {
			kinds = append(kinds, in.Kind)
		}
	}
	return strings.Join(kinds, " ")
}

func ReportDay(w metrics.Window) string {
	return w.DayStart(w.Days - 1).Format("2006-01-02")
}

func sameWindow(a, b metrics.Window) bool {
	return a.End.Equal(b.End) && a.Days == b.Days
}

// WriteReportFile writes the CSV cost report (WriteReport) to path, through a
// temporary file in the same directory renamed into place, so that a
// reader never sees half a report and a failure leaves the previous
// file as it was.
func WriteReportFile(path string, res *scanner.Result, costs *cost.Costs, r *insights.Report) error {
	var buf bytes.Buffer
	if err := WriteReport(&buf, res, costs, r); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("csv: write %s: %w", path, err)
	}
	return nil
}
