package csv

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/notify"
	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
	"github.com/lambdaudit/lambdaudit/scanner"
)

const (
	csvGoldenPath  = "testdata/csv-report.golden.csv"
	csvSummaryPath = "testdata/csv-summary.golden.csv"
	csvInjectPath  = "testdata/csv-injection.golden.csv"
	csvColumnsPath = "testdata/csv-columns.md"
)

// csvGolden compares got with a golden file, rewriting it with -update.
func csvGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *notifytest.Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./notify/csv -run %s -update writes it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := "", ""
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d (go test ./notify/csv -update rewrites it):\ngot:  %q\nwant: %q", path, i+1, g, w)
			}
		}
		t.Fatalf("%s differs (go test ./notify/csv -update rewrites it)", path)
	}
}

// csvRead parses a CSV and indexes its rows by account/region/function
// (as written, quote prefix included).
func csvRead(t *testing.T, b []byte) (header []string, rows [][]string, byID map[string]map[string]string) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180: %v", err)
	}
	if len(recs) == 0 {
		t.Fatal("no header")
	}
	header, rows = recs[0], recs[1:]
	byID = map[string]map[string]string{}
	for _, r := range rows {
		m := map[string]string{}
		for i, h := range header {
			m[h] = r[i]
		}
		byID[csvUnquote(m["account"])+"/"+csvUnquote(m["region"])+"/"+csvUnquote(m["function"])] = m
	}
	return header, rows, byID
}

// csvUnquote undoes neutralise.
func csvUnquote(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

func writeCSV(t *testing.T, res *scanner.Result, costs *cost.Costs, rep *insights.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteReport(&buf, res, costs, rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWriteCSVGolden pins the CSV of a scanned fleet.
func TestWriteCSVGolden(t *testing.T) {
	res, costs, rep := notifytest.CSVFixture(t)
	csvGolden(t, csvGoldenPath, writeCSV(t, res, costs, rep))
}

// TestWriteCSVRows: one row per listed function, in account, region,
// name order, each with every column; the header is ReportColumns.
func TestWriteCSVRows(t *testing.T) {
	res, costs, rep := notifytest.CSVFixture(t)
	out := writeCSV(t, res, costs, rep)
	header, rows, byID := csvRead(t, out)
	names := make([]string, len(ReportColumns))
	for i, c := range ReportColumns {
		names[i] = c.Name
	}
	if !slices.Equal(header, names) {
		t.Fatalf("header %q, want CSVColumns %q", header, names)
	}
	if len(rows) != len(res.Functions) || len(rows) != res.Coverage.Listed {
		t.Fatalf("%d rows, want %d (functions listed)", len(rows), res.Coverage.Listed)
	}
	for _, f := range res.Functions {
		if byID[f.ID] == nil {
			t.Errorf("no row for %s", f.ID)
		}
	}
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1], rows[i]
		if slices.Compare(a[1:4], b[1:4]) >= 0 {
			t.Errorf("rows %d and %d out of order: %q, %q", i, i+1, a[1:4], b[1:4])
		}
	}
	if !bytes.HasSuffix(out, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("lines do not all end in CRLF (RFC 4180)")
	}
	// Stable: the same input writes the same bytes.
	if again := writeCSV(t, res, costs, rep); !bytes.Equal(out, again) {
		t.Error("two writes of the same input differ")
	}
}

// TestWriteCSVEmptyNotZero: a function without data has empty cells, and
// each column is empty exactly in the situation its definition says.
func TestWriteCSVEmptyNotZero(t *testing.T) {
	res, costs, rep := notifytest.CSVFixture(t)
	_, _, byID := csvRead(t, writeCSV(t, res, costs, rep))
	failed := byID["222222222222/us-east-1/billing-api"]
	if failed == nil {
		t.Fatal("no row for the function whose scan failed")
	}
	if failed["scan_status"] != scanner.StatusFailed {
		t.Fatalf("billing-api scan_status %q, want failed (the fixture's faults)", failed["scan_status"])
	}
	// Identity and configuration come from the listing; insights from
	// the configuration alone (deprecated-runtime) may run.
	config := map[string]bool{"insights": failed["insights"] != "", "report_day": true, "account": true, "region": true, "function": true, "runtime": true,
		"architecture": true, "memory_mb": true, "timeout_s": true, "scan_status": true, "tags": true}
	for _, c := range ReportColumns {
		if v := failed[c.Name]; config[c.Name] != (v != "") {
			t.Errorf("failed function: %s = %q; want configuration and identity only, every figure empty", c.Name, v)
		}
	}

	tests := []struct {
		name, id string
		empty    []string // columns that must be empty
		zero     []string // columns that must be exactly 0
		set      []string // columns that must have a value other than 0
	}{
		{name: "idle function: counts are 0, averages and costs of the day unknown",
			id: "111111111111/us-east-1/nightly-export", zero: []string{"invocations", "errors", "throttles"},
			empty: []string{"avg_duration_ms", "p99_duration_ms", "report_day_cost_usd", "gb_seconds", "change_vs_7d_pct", "max_memory_used_mb", "cold_starts", "avg_7d_cost_usd"}},
		{name: "created yesterday: no 7-day average nor change",
			id: "111111111111/us-east-1/new-feature", empty: []string{"avg_7d_cost_usd", "change_vs_7d_pct"},
			set: []string{"invocations", "report_day_cost_usd", "gb_seconds", "projected_month_usd", "avg_duration_ms"}},
		{name: "container image: no runtime",
			id: "111111111111/us-east-1/ml-infer", empty: []string{"runtime"}, set: []string{"cold_starts", "report_day_cost_usd"}},
		{name: "shared log group without Lambda Insights: no cold starts nor memory",
			id: "111111111111/eu-west-1/notify-sms", empty: []string{"cold_starts", "max_memory_used_mb"}, set: []string{"invocations"}},
		{name: "shared log group with Lambda Insights: memory from Lambda Insights",
			id: "111111111111/eu-west-1/notify-email", set: []string{"max_memory_used_mb", "throttles"}},
		{name: "savings of two insights summed",
			id: "111111111111/us-east-1/orders-worker", set: []string{"monthly_savings_usd", "insights"}},
		{name: "no insight: no savings, no kinds",
			id: "111111111111/us-east-1/new-feature", empty: []string{"monthly_savings_usd", "insights"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := byID[tt.id]
			if row == nil {
				t.Fatalf("no row for %s", tt.id)
			}
			for _, c := range tt.empty {
				if row[c] != "" {
					t.Errorf("%s = %q, want empty", c, row[c])
				}
			}
			for _, c := range tt.zero {
				if row[c] != "0" {
					t.Errorf("%s = %q, want 0", c, row[c])
				}
			}
			for _, c := range tt.set {
				if v := row[c]; v == "" || v == "0" {
					t.Errorf("%s = %q, want a value", c, v)
				}
			}
		})
	}
}

// TestWriteCSVFigures checks the columns' definitions against the scan,
// the cost model and the report, for every row; and that the columns
// add up to the report's summary.
func TestWriteCSVFigures(t *testing.T) {
	res, costs, rep := notifytest.CSVFixture(t)
	_, _, byID := csvRead(t, writeCSV(t, res, costs, rep))
	L := res.Window.Days - 1
	num := func(t *testing.T, row map[string]string, col string) (float64, bool) {
		t.Helper()
		if row[col] == "" {
			return 0, false
		}
		v, err := strconv.ParseFloat(row[col], 64)
		if err != nil {
			t.Fatalf("%s = %q: not a plain number: %v", col, row[col], err)
		}
		return v, true
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	fc := map[string]*cost.FunctionCost{}
	for i := range costs.Functions {
		fc[costs.Functions[i].ID] = &costs.Functions[i]
	}
	var sumInv, sumCold, sumCost, sumSaving float64
	for _, f := range res.Functions {
		row := byID[f.ID]
		t.Run(f.Name, func(t *testing.T) {
			for _, c := range ReportColumns {
				if v := row[c.Name]; strings.ContainsAny(v, "$,€ ") && !slices.Contains([]string{"tags", "insights"}, c.Name) {
					t.Errorf("%s = %q: not unformatted", c.Name, v)
				}
			}
			if inv, ok := num(t, row, "invocations"); ok {
				sumInv += inv
				if ds, ok := seriesAt(f.Metrics[metrics.DurationSum], L); ok && inv > 0 {
					if avg, _ := num(t, row, "avg_duration_ms"); !near(avg, ds/inv) {
						t.Errorf("avg_duration_ms %v, want Duration:Sum/Invocations:Sum %v", avg, ds/inv)
					}
				}
			}
			if p99, ok := num(t, row, "p99_duration_ms"); ok {
				if want, _ := seriesAt(f.Metrics[metrics.DurationP99], L); !near(p99, want) {
					t.Errorf("p99_duration_ms %v, want %v", p99, want)
				}
			}
			if v, ok := num(t, row, "cold_starts"); ok {
				sumCold += v
			}
			c := fc[f.ID]
			if day, ok := num(t, row, "report_day_cost_usd"); ok {
				sumCost += day
				if !near(day, c.Days[L].Total) {
					t.Errorf("report_day_cost_usd %v, want %v", day, c.Days[L].Total)
				}
				if gbs, _ := num(t, row, "gb_seconds"); !near(gbs, c.Usage[L].GBSeconds()) {
					t.Errorf("gb_seconds %v, want %v", gbs, c.Usage[L].GBSeconds())
				}
				var sum float64
				k := 0
				for d := L - 7; d < L; d++ {
					if c.Days[d] != nil {
						sum += c.Days[d].Total
						k++
					}
				}
				avg, ok := num(t, row, "avg_7d_cost_usd")
				if ok != (k > 0) || (ok && !near(avg, sum/float64(k))) {
					t.Errorf("avg_7d_cost_usd %q, want the mean of %d days = %v", row["avg_7d_cost_usd"], k, sum/float64(k))
				}
				if ch, ok := num(t, row, "change_vs_7d_pct"); ok && math.Abs(ch-(day-avg)/avg*100) > 1e-4 {
					t.Errorf("change_vs_7d_pct %v, want %v", ch, (day-avg)/avg*100)
				}
			}
			if p, ok := num(t, row, "projected_month_usd"); ok && !near(p, *c.ProjectedMonth) {
				t.Errorf("projected_month_usd %v, want %v", p, *c.ProjectedMonth)
			}
			if m, ok := num(t, row, "month_to_date_usd"); ok && !near(m, c.MonthToDate.Total) {
				t.Errorf("month_to_date_usd %v, want %v", m, c.MonthToDate.Total)
			}
			if s, ok := num(t, row, "monthly_savings_usd"); ok {
				sumSaving += s
			}
		})
	}
	sum := rep.Summary
	for _, c := range []struct {
		name string
		got  float64
		want *float64
	}{
		{"invocations", sumInv, sum.Invocations.Value},
		{"cold_starts", sumCold, sum.ColdStarts.Value},
		{"report_day_cost_usd", sumCost, sum.CostUSD.Value},
		{"monthly_savings_usd", sumSaving, &rep.Counts.MonthlySavingUSD},
	} {
		if c.want == nil {
			t.Errorf("column %s sums to %v, the report's summary has no figure", c.name, c.got)
		} else if math.Abs(c.got-*c.want) > 1e-5 {
			t.Errorf("column %s sums to %v, the report's summary says %v", c.name, c.got, *c.want)
		}
	}
}

// TestWriteCSVWithoutCostsOrReport: nil costs and report leave their
// columns empty, and the rest as with them.
func TestWriteCSVWithoutCostsOrReport(t *testing.T) {
	res, costs, rep := notifytest.CSVFixture(t)
	_, _, full := csvRead(t, writeCSV(t, res, costs, rep))
	_, rows, bare := csvRead(t, writeCSV(t, res, nil, nil))
	if len(rows) != len(res.Functions) {
		t.Fatalf("%d rows, want %d", len(rows), len(res.Functions))
	}
	costCols := []string{"gb_seconds", "report_day_cost_usd", "avg_7d_cost_usd", "month_to_date_usd", "projected_month_usd",
		"change_vs_7d_pct", "monthly_savings_usd", "insights"}
	for id, row := range bare {
		for _, c := range ReportColumns {
			want := full[id][c.Name]
			if slices.Contains(costCols, c.Name) {
				want = ""
			}
			if row[c.Name] != want {
				t.Errorf("%s %s = %q without costs and report, want %q", id, c.Name, row[c.Name], want)
			}
		}
	}
}

// TestWriteCSVFile writes the report to a path, replacing a previous
// file whole, and names the path when it cannot.
func TestWriteCSVFile(t *testing.T) {
	res, costs, rep := notifytest.CSVFixture(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "report.csv")
	if err := os.WriteFile(path, []byte("yesterday's"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteReportFile(path, res, costs, rep); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, writeCSV(t, res, costs, rep)) {
		t.Error("the file is not WriteCSV's output")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the directory, want only report.csv (no temporary file left)", len(entries))
	}
	bad := filepath.Join(dir, "missing", "report.csv")
	if err := WriteReportFile(bad, res, costs, rep); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("write into a missing directory: %v, want an error naming %s", err, bad)
	}
	// A refused input leaves the previous file as it was.
	if err := WriteReportFile(path, nil, nil, nil); err == nil {
		t.Error("no error for a nil scan")
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, got) {
		t.Error("a refused write changed the file")
	}
}

// TestWriteCSVRefuses input that does not belong together.
func TestWriteCSVRefuses(t *testing.T) {
	res, costs, rep := notifytest.CSVFixture(t)
	other := *costs
	other.Window.End = other.Window.End.Add(-metrics.Day)
	otherRep := *rep
	otherRep.ReportDay = "2026-11-19"
	tests := []struct {
		name  string
		res   *scanner.Result
		costs *cost.Costs
		rep   *insights.Report
		want  string
	}{
		{"no scan", nil, nil, nil, "no scan result"},
		{"costs of another window", res, &other, rep, "the costs are of the window ending 2026-11-20"},
		{"report of another day", res, costs, &otherRep, "the report is about 2026-11-19, the scan's report day is 2026-11-20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteReport(&buf, tt.res, tt.costs, tt.rep)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before refusing", buf.Len())
			}
		})
	}
}

// csvHostile is a scan whose AWS text tries formula injection in every
// text column: names no AWS API would return, but a scan file is input.
func csvHostile(t *testing.T) *scanner.Result {
	t.Helper()
	res, _, _ := notifytest.CSVFixture(t)
	base := res.Functions[slices.IndexFunc(res.Functions, func(f scanner.Function) bool { return f.Name == "checkout-api" })]
	names := []string{`=HYPERLINK("http://x","click")`, "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\tindent", "\rreturn",
		"plain, with \"quotes\"\nand a newline", "=", " =lead-space"}
	out := *res
	out.Functions = nil
	for i, n := range names {
		f := base
		f.Name = n
		f.ID = f.Account + "/" + f.Region + "/" + n
		f.Tags = map[string]string{"team": "payments"}
		switch i {
		case 0:
			f.Runtime = "=cmd"
		case 1:
			f.Tags = map[string]string{"note": "+1"}
		case 2:
			f.Tags = map[string]string{"=owner": "@oncall"}
		case 3:
			f.Account = "-111111111111"
			f.ID = f.Account + "/" + f.Region + "/" + n
		case 4:
			f.Tags = map[string]string{"\tkey": "v"}
		}
		out.Functions = append(out.Functions, f)
	}
	return &out
}

// TestWriteCSVInjection pins the neutralised cells (golden file) and
// checks that no cell a spreadsheet would evaluate is left, while
// numbers (a negative change) stay numbers.
func TestWriteCSVInjection(t *testing.T) {
	res := csvHostile(t)
	costs, rep := notifytest.CSVCostsReport(t, res)
	out := writeCSV(t, res, costs, rep)
	csvGolden(t, csvInjectPath, out)
	header, rows, _ := csvRead(t, out)
	if len(rows) != len(res.Functions) {
		t.Fatalf("%d rows, want %d", len(rows), len(res.Functions))
	}
	text := map[string]bool{}
	for _, c := range csvColumns {
		text[c.Name] = c.text
	}
	for _, r := range rows {
		for i, v := range r {
			if v == "" {
				continue
			}
			switch {
			case text[header[i]] && strings.ContainsRune("=+-@\t\r", rune(v[0])):
				t.Errorf("%s cell %q would be evaluated", header[i], v)
			case !text[header[i]] && header[i] != "report_day":
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					t.Errorf("%s cell %q: not a number", header[i], v)
				}
			}
		}
	}
}

func TestNeutralise(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"equals", `=HYPERLINK("http://x")`, `'=HYPERLINK("http://x")`},
		{"plus", "+cmd", "'+cmd"},
		{"minus", "-2+3", "'-2+3"},
		{"at", "@SUM(1)", "'@SUM(1)"},
		{"tab", "\tx", "'\tx"},
		{"carriage return", "\rx", "'\rx"},
		{"empty", "", ""},
		{"plain name", "checkout-api", "checkout-api"},
		{"formula later in the cell", "a=1+2", "a=1+2"},
		{"leading space", " =1", " =1"},
		{"already quoted", "'=1", "'=1"},
		{"newline first", "\n=1", "\n=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := neutralise(tt.in); got != tt.want {
				t.Errorf("neutralise(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{"integer", 1000, "1000"},
		{"large, no separators nor exponent", 12345678.5, "12345678.5"},
		{"tiny, no exponent", 2e-7, "0.0000002"},
		{"float noise", 0.1 + 0.2, "0.3"},
		{"negative", -12.5, "-12.5"},
		{"negative zero", math.Copysign(0, -1), "0"},
		{"twelve significant digits", 1.0 / 3, "0.333333333333"},
		{"NaN is no number", math.NaN(), ""},
		{"infinity is no number", math.Inf(1), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatNumber(tt.in); got != tt.want {
				t.Errorf("formatNumber(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := formatCount(1234567890123); got != "1234567890123" {
		t.Errorf("formatCount kept %q of 1234567890123", got)
	}
}

// TestWriteCSVSummaryGolden pins the account-region totals, and checks
// they add up to the fleet's cost.
func TestWriteCSVSummaryGolden(t *testing.T) {
	res, costs, rep := notifytest.CSVFixture(t)
	var buf bytes.Buffer
	if err := WriteSummary(&buf, costs); err != nil {
		t.Fatal(err)
	}
	csvGolden(t, csvSummaryPath, buf.Bytes())
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs)-1 != len(costs.Regions) {
		t.Fatalf("%d rows, want one per account-region (%d)", len(recs)-1, len(costs.Regions))
	}
	col := slices.Index(recs[0], "report_day_cost_usd")
	fns := slices.Index(recs[0], "functions")
	var total float64
	n := 0
	for _, r := range recs[1:] {
		v, _ := strconv.ParseFloat(r[col], 64)
		total += v
		k, _ := strconv.Atoi(r[fns])
		n += k
	}
	if math.Abs(total-*rep.Summary.CostUSD.Value) > 1e-5 {
		t.Errorf("account-regions sum to %v, the report's cost is %v", total, *rep.Summary.CostUSD.Value)
	}
	if n != len(res.Functions) {
		t.Errorf("account-regions count %d functions, the scan listed %d", n, len(res.Functions))
	}
}

// csvColumnsMarkdown is the README's table of the CSV's columns.
func csvColumnsMarkdown() []byte {
	var b bytes.Buffer
	b.WriteString("<!-- Generated from notify.CSVColumns and notify.CSVSummaryColumns by `go test ./notify -run TestCSVColumnsDoc -update`; do not edit. -->\n\n")
	b.WriteString("### report.csv: one row per function\n\n")
	b.WriteString("One row per function the scan listed (account, region, name order), a header row, RFC 4180 (CRLF). " +
		"Numbers are plain decimals (no currency sign, no thousands separator); a cell without data is empty, never 0; " +
		"there is no totals row. Control characters (C0 including ESC, DEL, C1) and bidirectional overrides are removed from every text cell, tabs and line breaks becoming spaces; a text cell that then starts with `=`, `+`, `-` or `@` is prefixed with `'`.\n\n")
	table := func(cols []Column) {
		b.WriteString("| column | meaning |\n|---|---|\n")
		for _, c := range cols {
			b.WriteString("| `" + c.Name + "` | " + strings.ReplaceAll(c.Meaning, "|", `\|`) + " |\n")
		}
	}
	table(ReportColumns)
	b.WriteString("\n### summary.csv: one row per account-region\n\n")
	b.WriteString("The cost model's account-region totals, kept apart so that no column double-counts; the rows add up to the fleet.\n\n")
	table(SummaryColumns)
	b.WriteString("\n### In S3\n\n")
	b.WriteString("With an S3 location (`s3://bucket/prefix`), the files go to `<prefix>/<report day YYYY-MM-DD>/` as `report.csv`, " +
		"`summary.csv` and `report.json` (a rerun of a day replaces that day's files), each with a presigned GET link valid for 7 days " +
		"(configurable, at most 7 days): the link the Slack digest carries. A link signed with temporary credentials " +
		"(a Lambda function's role, an assumed role) stops working when they expire, even before the 7 days.\n")
	return b.Bytes()
}

// TestCSVColumnsDoc keeps testdata/csv-columns.md (the README's CSV
// section) in step with ReportColumns.
func TestCSVColumnsDoc(t *testing.T) {
	csvGolden(t, csvColumnsPath, csvColumnsMarkdown())
	for i, c := range csvColumns {
		if ReportColumns[i] != c.Column {
			t.Errorf("CSVColumns[%d] = %+v, the writer writes %+v", i, ReportColumns[i], c.Column)
		}
		if c.Name == "" || c.Meaning == "" || strings.Contains(c.Meaning, "\n") {
			t.Errorf("column %d: want a name and a one-line meaning, got %+v", i, c.Column)
		}
	}
}

// TestWriteCSVStripsControlCharacters checks that no text cell carries a
// control character or a bidirectional override from AWS text (a tag
// value with ESC could recolour the terminal of whoever cats the file,
// U+202E reorder what a spreadsheet shows), and that stripping does not
// undo the formula neutralisation.
func TestWriteCSVStripsControlCharacters(t *testing.T) {
	res, _, _ := notifytest.CSVFixture(t)
	base := res.Functions[slices.IndexFunc(res.Functions, func(f scanner.Function) bool { return f.Name == "checkout-api" })]
	cases := []struct {
		name, fn, tagKey, tagValue string
		wantName, wantTags         string
	}{
		{"ESC in a tag value", "esc-tag", "owner", "\x1b[31mred\x1b[0m", "esc-tag", "owner=[31mred[0m"},
		{"C1 CSI and DEL", "c1\u009b2J-name\x7f", "team", "pay\u0085ments", "c12J-name", "team=payments"},
		{"bidi override", "invoice\u202egpj.exe", "k\u2066ey", "v\u200fal", "invoicegpj.exe", "key=val"},
		{"newline and tab", "two\nlines", "t\tab", "a\r\nb", "two lines", "t ab=a  b"},
		{"ESC before a formula", "\x1b=cmd", "\x1b=k", "\x00@SUM(1)", "'=cmd", "'=k=@SUM(1)"},
	}
	out := *res
	out.Functions = nil
	for _, tc := range cases {
		f := base
		f.Name = tc.fn
		f.ID = f.Account + "/" + f.Region + "/" + tc.fn
		f.Tags = map[string]string{tc.tagKey: tc.tagValue}
		out.Functions = append(out.Functions, f)
	}
	csvOut := writeCSV(t, &out, nil, nil)
	header, rows, _ := csvRead(t, csvOut)
	col := func(name string) int { return slices.Index(header, name) }
	byName := map[string][]string{}
	for _, r := range rows {
		byName[r[col("function")]] = r
		for i, v := range r {
			for _, c := range v {
				if notify.UnsafeRune(c) || c == '\t' || c == '\n' || c == '\r' {
					t.Errorf("%s cell %q holds %U", header[i], v, c)
				}
			}
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := byName[tc.wantName]
			if !ok {
				t.Fatalf("no row named %q", tc.wantName)
			}
			if got := r[col("tags")]; got != tc.wantTags {
				t.Errorf("tags %q, want %q", got, tc.wantTags)
			}
		})
	}
}
