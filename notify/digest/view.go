package digest

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// The digest's view of a report, shared by the Slack digest and the
// terminal one so both say the same thing: what is in scope, the summary
// rows with their changes, the insights by severity, where the money
// goes and what the scan covered. Every string that comes from AWS
// (function names, error text, tag values) is cleaned of control
// characters here; each renderer escapes it for its medium.

// View is a report made ready to render.
type View struct {
	Report *insights.Report
	// day is the report day as YYYY-MM-DD, dayLong as "Fri 20 Nov 2026".
	Day, DayLong string
	// accounts and regions are those the report names (sorted);
	// multiAccount says whether locations need the account.
	Accounts, Regions []string
	MultiAccount      bool
	Summary           []SummaryRow
	// groups are the insights by severity, most urgent first; empty
	// severities are left out.
	Groups []InsightGroup
}

// InsightGroup is the insights of one severity, in the report's order
// (impact first).
type InsightGroup struct {
	Severity insights.Severity
	Insights []*insights.Insight
	// byKind is "near-timeout 3 · cost-spike 1 …", largest first; kinds
	// the same groups in that order.
	ByKind string
	Kinds  []*KindGroup
}

// KindGroup is the insights of one kind within a severity.
type KindGroup struct {
	Kind string
	N    int
	// action is the suggested action when all of them share it, else "".
	Action string
}

// SummaryRow is one figure of the summary: its value, its change against
// the previous 7 days' average and whether that change is good news.
type SummaryRow struct {
	Label    string
	Value    string
	Delta    string // "+89 %", "-0.04 pt", "new", "" without a baseline
	Baseline string // the previous 7 days' average, formatted
	Note     string // e.g. "9 functions with cold-start data"
	// dir is the change's direction (+1, -1, 0); mood whether it is good
	// (+1), bad (-1) or neither (0).
	Dir, Mood int
}

func NewView(r *insights.Report) *View {
	v := &View{Report: r, Day: notify.Clean(r.ReportDay), DayLong: notify.Clean(r.ReportDay)}
	if t, err := time.Parse("2006-01-02", r.ReportDay); err == nil {
		v.DayLong = t.Format("Mon 2 Jan 2006")
	}
	v.Accounts, v.Regions = scope(r)
	v.MultiAccount = len(v.Accounts) > 1
	v.Summary = summaryRows(&r.Summary)
	for _, sev := range []insights.Severity{insights.Critical, insights.Warning, insights.Info} {
		g := InsightGroup{Severity: sev}
		kinds := map[string]*KindGroup{}
		for i := range r.Insights {
			in := &r.Insights[i]
			if in.Severity == sev || (sev == insights.Info && in.Severity != insights.Critical && in.Severity != insights.Warning) {
				g.Insights = append(g.Insights, in)
				k, act := notify.Clean(in.Kind), notify.Clean(in.Action)
				if kinds[k] == nil {
					kinds[k] = &KindGroup{Kind: k, Action: act}
					g.Kinds = append(g.Kinds, kinds[k])
				}
				kinds[k].N++
				if kinds[k].Action != act {
					kinds[k].Action = ""
				}
			}
		}
		if len(g.Insights) > 0 {
			sort.SliceStable(g.Kinds, func(i, j int) bool {
				if g.Kinds[i].N != g.Kinds[j].N {
					return g.Kinds[i].N > g.Kinds[j].N
				}
				return g.Kinds[i].Kind < g.Kinds[j].Kind
			})
			parts := make([]string, len(g.Kinds))
			for i, k := range g.Kinds {
				parts[i] = fmt.Sprintf("%s %s", k.Kind, fmtCount(float64(k.N)))
			}
			g.ByKind = strings.Join(parts, " · ")
			v.Groups = append(v.Groups, g)
		}
	}
	return v
}

// scope is the accounts and regions the report's scan covered. A report
// written before Coverage carried them falls back to the ones it names:
// its functions, insights, failed targets and missing data.
func scope(r *insights.Report) (accounts, regions []string) {
	if len(r.Coverage.Accounts) > 0 {
		for _, a := range r.Coverage.Accounts {
			accounts = append(accounts, notify.Clean(a))
		}
		for _, rg := range r.Coverage.Regions {
			regions = append(regions, notify.Clean(rg))
		}
		return accounts, regions
	}
	as, rs := map[string]bool{}, map[string]bool{}
	add := func(a, rg string) {
		if a = notify.Clean(a); a != "" {
			as[a] = true
		}
		if rg = notify.Clean(rg); rg != "" {
			rs[rg] = true
		}
	}
	for _, f := range r.TopFunctions {
		add(f.Account, f.Region)
	}
	for _, m := range r.CostMovers {
		add(m.Account, m.Region)
	}
	for _, in := range r.Insights {
		add(in.Account, in.Region)
	}
	for _, t := range r.Coverage.FailedTargets {
		add(t.Account, t.Region)
	}
	for _, m := range r.Missing {
		for _, id := range m.IDs {
			p := strings.SplitN(id, "/", 3)
			if len(p) >= 2 {
				add(p[0], p[1])
			}
		}
	}
	return sortedKeys(as), sortedKeys(rs)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// perKind is how many insights of one kind a list shows while other
// kinds have some left: a digest that names ten cost spikes hides the
// near-timeout behind them.
const perKind = 3

// PickVaried picks up to n of a severity's insights (their indices, in
// order) favouring variety: at most perKind of a kind while other kinds
// have some left, then the others in order.
func PickVaried(ins []*insights.Insight, n int) []int {
	if n >= len(ins) {
		n = len(ins)
	}
	picked := make([]bool, len(ins))
	count := map[string]int{}
	k := 0
	for i, in := range ins {
		if k < n && count[in.Kind] < perKind {
			picked[i] = true
			count[in.Kind]++
			k++
		}
	}
	for i := range ins {
		if k < n && !picked[i] {
			picked[i] = true
			k++
		}
	}
	var out []int
	for i, p := range picked {
		if p {
			out = append(out, i)
		}
	}
	return out
}

// summaryRows are the six headline figures of INSIGHTS.md.
func summaryRows(s *insights.Summary) []SummaryRow {
	return []SummaryRow{
		HealthRow(&s.Health),
		FigureRow("Invocations", &s.Invocations, fmtCount, 0),
		FigureRow("Errors", &s.Errors, fmtCount, -1),
		coldRow(&s.ColdStarts),
		pricedRow(FigureRow("Cost of the day", &s.CostUSD, fmtUSD, -1), &s.CostUSD, &s.Invocations),
		FigureRow("Projected month", &s.ProjectedMonthUSD, fmtUSD, -1),
	}
}

// pricedRow says on the cost row when it leaves out invoked functions
// the cost model could not price (a region without a price, Managed
// Instances; the coverage block says why): the figure is a part, not the
// fleet's cost.
func pricedRow(row SummaryRow, cost, invocations *insights.Figure) SummaryRow {
	if cost.Value != nil && cost.Functions < invocations.Functions {
		row.Note = fmt.Sprintf("priced for %s of %s", fmtCount(float64(cost.Functions)), Plural(invocations.Functions, "invoked function", "invoked functions"))
	}
	return row
}

// FigureRow renders a figure; upIs says whether a rise is good (+1), bad
// (-1) or neither (0).
func FigureRow(label string, f *insights.Figure, format func(float64) string, upIs int) SummaryRow {
	row := SummaryRow{Label: label, Value: "no data"}
	if f.Value != nil {
		row.Value = format(*f.Value)
	}
	if f.Baseline != nil {
		row.Baseline = format(*f.Baseline)
	}
	if f.Change != nil {
		// A change shown as ±0 % claims no direction and no mood.
		if f.ChangeRatio == nil || !ratioShownZero(*f.ChangeRatio) {
			row.Dir = sign(*f.Change)
		}
		row.Mood = row.Dir * upIs
		switch {
		case f.ChangeRatio != nil:
			row.Delta = fmtRatioChange(*f.ChangeRatio)
		case *f.Change == 0:
			row.Delta = "±0"
		default: // a baseline of 0
			row.Delta = "new"
		}
	}
	return row
}

func HealthRow(f *insights.Figure) SummaryRow {
	row := SummaryRow{Label: "Health", Value: "no data"}
	if f.Value != nil {
		row.Value = fmtHealth(*f.Value)
	}
	if f.Baseline != nil {
		row.Baseline = fmtHealth(*f.Baseline)
	}
	if f.Change != nil {
		pt := *f.Change * 100
		row.Delta = fmtHealthChange(pt)
		if truncTo(pt, 2) != 0 {
			row.Dir = sign(pt)
		}
		row.Mood = row.Dir
	}
	return row
}

func coldRow(f *insights.Figure) SummaryRow {
	row := FigureRow("Cold starts", f, fmtCount, -1)
	if f.Value != nil {
		// REPORT statistics or Lambda Insights: not only logs.
		row.Note = fmt.Sprintf("%s with cold-start data", Plural(f.Functions, "function", "functions"))
	}
	return row
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// Arrow is ▲, ▼ or = for a direction.
func Arrow(dir int) string {
	switch dir {
	case 1:
		return "▲"
	case -1:
		return "▼"
	}
	return "="
}

// moodWord says whether a change is good news: "better", "worse" or ""
// (neither, as for invocations). The arrow gives the direction, the word
// (and the colour, where the medium has one) whether it is good: cost up
// is worse, errors down better, health up better.
func moodWord(mood int) string {
	switch mood {
	case 1:
		return "better"
	case -1:
		return "worse"
	}
	return ""
}

// DeltaText is a summary row's change: "▲ +151 % worse", "▼ -12 %
// better", "▲ +166 %" (no mood), "±0 %" or "".
func (row SummaryRow) DeltaText() string {
	if row.Delta == "" || row.Dir == 0 {
		return row.Delta
	}
	s := Arrow(row.Dir) + " " + row.Delta
	if w := moodWord(row.Mood); w != "" {
		s += " " + w
	}
	return s
}

// Text is a summary row's value with its change, as plain text (the
// Slack notification, the terminal): "$48.42 ▲ +151 % worse".
func (row SummaryRow) Text() string {
	if d := row.DeltaText(); d != "" {
		return row.Value + " " + d
	}
	return row.Value
}

// truncTo is the report's rounding rule: toward zero, never up across
// a threshold.
var truncTo = insights.Truncate

// fmtHealth renders 1 − errors ÷ invocations as a percentage with two
// decimals, truncated (99.996 % never reads 100 %).
func fmtHealth(v float64) string {
	return fmt.Sprintf("%.2f %%", truncTo(v*100, 2))
}

// fmtHealthChange renders a change of health in percentage points with
// two decimals, truncated toward zero: "+0.04 pt", "-1.99 pt", "±0 pt".
func fmtHealthChange(pt float64) string {
	t := truncTo(pt, 2)
	if t == 0 {
		return "±0 pt"
	}
	return fmt.Sprintf("%+.2f pt", t)
}

// fmtRatioChange renders a change ratio as "+89 %", "-4.5 %", "+0.3 %",
// truncated toward zero (+99.9 % never reads +100 %).
func fmtRatioChange(r float64) string {
	p := r * 100
	switch {
	case ratioShownZero(r):
		return "±0 %"
	case truncTo(math.Abs(p), 0) >= 10:
		return fmt.Sprintf("%+.0f %%", truncTo(p, 0))
	}
	return fmt.Sprintf("%+.1f %%", truncTo(p, 1))
}

// ratioShownZero says whether fmtRatioChange shows r as "±0 %" (under
// 0.1 % either way).
func ratioShownZero(r float64) bool {
	return truncTo(math.Abs(r*100), 1) == 0
}

// fmtUSD, fmtCount and fmtRatio are the report's formatters: figures
// are truncated, never rounded up across a threshold.
var (
	fmtUSD   = insights.FormatUSD
	fmtCount = insights.FormatCount
	fmtRatio = insights.FormatFactor
)

// fmtSignedUSD renders a change in dollars as "+$2.60" or "-$0.40".
func fmtSignedUSD(v float64) string {
	if v < 0 {
		return fmtUSD(v)
	}
	return "+" + fmtUSD(v)
}

// fmtBytes renders a byte count as "880 MB" or "1.2 GB", truncated, in
// the units AWS bills Logs Insights bytes in: a GB is 2^30 bytes
// (scanner.LogsBytesPerGB), an MB 2^20, a kB 2^10.
func fmtBytes(b float64) string {
	switch {
	case b >= scanner.LogsBytesPerGB:
		return fmt.Sprintf("%.1f GB", truncTo(b/scanner.LogsBytesPerGB, 1))
	case b >= 1<<20:
		return fmt.Sprintf("%.0f MB", truncTo(b/(1<<20), 0))
	case b >= 1<<10:
		return fmt.Sprintf("%.0f kB", truncTo(b/(1<<10), 0))
	}
	return fmt.Sprintf("%.0f B", truncTo(b, 0))
}

func Plural(n int, one, many string) string { return insights.Plural(float64(n), one, many) }

// SeverityLabel is "critical", "warnings" or "info" with its count.
func SeverityLabel(sev insights.Severity, n int) string {
	switch sev {
	case insights.Critical:
		return fmt.Sprintf("%s critical", fmtCount(float64(n)))
	case insights.Warning:
		return Plural(n, "warning", "warnings")
	}
	return fmt.Sprintf("%s info", fmtCount(float64(n)))
}

// SeverityTitle is the heading of a severity's group.
func SeverityTitle(sev insights.Severity) string {
	switch sev {
	case insights.Critical:
		return "Critical"
	case insights.Warning:
		return "Warnings"
	}
	return "Info"
}

// ListLimited joins at most n items and says how many more there are.
func ListLimited(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %s more", strings.Join(items[:n], ", "), fmtCount(float64(len(items)-n)))
}

// Limits of AWS text in the digest, in runes: an error text can be
// kilobytes long.
const (
	MaxTitleRunes  = 300
	MaxActionRunes = 300
	MaxErrorRunes  = 200
	MaxNameRunes   = 140
)

// Location is where an insight or a function is: its region, with the
// account when the report spans several.
func (v *View) Location(account, region string) string {
	if v.MultiAccount {
		return notify.Clean(account) + "/" + notify.Clean(region)
	}
	return notify.Clean(region)
}

// Subject names what an insight is about: its function, or its
// account-region's total.
func Subject(in *insights.Insight) string {
	if in.Function == "" {
		return "region total"
	}
	return notify.Truncate(notify.Clean(in.Function), MaxNameRunes)
}

// Saving renders an insight's monthly saving: "" below a cent, or when
// the title already says it.
func Saving(in *insights.Insight) string {
	if s := in.MonthlySavingUSD; s != nil && *s >= 0.01 && !strings.Contains(in.Title, fmtUSD(*s)) {
		return "saves ~" + fmtUSD(*s) + "/month"
	}
	return ""
}

// ScopeLine is "2 accounts (111111111111, 222222222222) · 2 regions
// (us-east-1, eu-west-1) · 64 functions".
func (v *View) ScopeLine() string {
	var parts []string
	switch len(v.Accounts) {
	case 0:
	case 1:
		parts = append(parts, "account "+v.Accounts[0])
	default:
		parts = append(parts, fmt.Sprintf("%d accounts (%s)", len(v.Accounts), ListLimited(v.Accounts, 4)))
	}
	switch len(v.Regions) {
	case 0:
	case 1:
		parts = append(parts, v.Regions[0])
	default:
		parts = append(parts, fmt.Sprintf("%d regions (%s)", len(v.Regions), ListLimited(v.Regions, 6)))
	}
	fns := Plural(v.Report.Coverage.Listed, "function", "functions")
	if v.incomplete() {
		c := v.Report.Coverage
		fns = Plural(c.Listed, "function", "functions") + " listed"
		if c.NotCovered > 0 {
			fns += " (" + fmtCount(float64(c.NotCovered)) + " not covered)"
		}
	}
	parts = append(parts, fns)
	return strings.Join(parts, " · ")
}

// SummaryScope is the summary's heading note: which functions its
// figures are over.
func (v *View) SummaryScope() string {
	s := "the report day against the previous 7 days' average"
	if v.incomplete() {
		s += " — covered functions only, not the whole fleet"
	}
	return s
}

// CountsLine is "7 critical · 9 warnings · 5 info".
func (v *View) CountsLine() string {
	c := v.Report.Counts
	return fmt.Sprintf("%s · %s · %s", SeverityLabel(insights.Critical, c.Critical),
		SeverityLabel(insights.Warning, c.Warning), SeverityLabel(insights.Info, c.Info))
}

// CoverageLine is "64 of 64 functions scanned (2 partial, 1 failed) in 8
// of 9 account-regions; 60 invoked on the report day, 4 idle".
func (v *View) CoverageLine() string {
	c := v.Report.Coverage
	s := fmt.Sprintf("%s of %s scanned", fmtCount(float64(c.Scanned)), Plural(c.Listed, "function", "functions"))
	if c.Partial > 0 || c.Failed > 0 {
		s += fmt.Sprintf(" (%s partial, %s failed)", fmtCount(float64(c.Partial)), fmtCount(float64(c.Failed)))
	}
	s += fmt.Sprintf(" in %s of %s", fmtCount(float64(c.Targets-c.TargetsFailed)), Plural(c.Targets, "account-region", "account-regions"))
	s += fmt.Sprintf("; %s invoked on the report day, %s idle", fmtCount(float64(c.Invoked)), fmtCount(float64(c.Idle)))
	return s
}

// NotCheckedLine says how many checks could not run for lack of data.
func (v *View) NotCheckedLine() string {
	c := v.Report.Coverage
	if c.RulesNotRun == 0 {
		return ""
	}
	// "logs: over the log budget" reads "logs"; the report has the rest.
	var order []string
	counts := map[string]int{}
	for _, m := range v.Report.Missing {
		reason, _, _ := strings.Cut(notify.Clean(m.Reason), ":")
		reason = notify.Truncate(reason, 60)
		if _, ok := counts[reason]; !ok {
			order = append(order, reason)
		}
		counts[reason] += m.Count
	}
	reasons := make([]string, len(order))
	for i, r := range order {
		reasons[i] = fmt.Sprintf("%s (%s)", r, fmtCount(float64(counts[r])))
	}
	return fmt.Sprintf("%s could not run for lack of data: %s", Plural(c.RulesNotRun, "check", "checks"), ListLimited(reasons, 3))
}

// FailureLines are the scan's failures: the account-regions it could
// not list, then the functions' failures by reason (most frequent first).
func (v *View) FailureLines(n int) []string {
	if len(v.Report.Coverage.Causes) > 0 {
		return v.causeLines(n)
	}
	var out []string
	for _, t := range v.Report.Coverage.FailedTargets {
		out = append(out, fmt.Sprintf("%s/%s not scanned: %s", notify.Clean(t.Account), notify.Clean(t.Region), notify.Truncate(notify.Clean(t.Error), MaxErrorRunes)))
	}
	type rc struct {
		r string
		n int
	}
	var rs []rc
	for r, k := range v.Report.Coverage.Reasons {
		if strings.HasPrefix(r, "inventory:") && len(v.Report.Coverage.FailedTargets) > 0 {
			continue // the failed targets above say it
		}
		rs = append(rs, rc{r, k})
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].n != rs[j].n {
			return rs[i].n > rs[j].n
		}
		return rs[i].r < rs[j].r
	})
	for _, x := range rs {
		out = append(out, fmt.Sprintf("%s: %s", Plural(x.n, "failure", "failures"), notify.Truncate(notify.Clean(x.r), MaxErrorRunes)))
	}
	if len(out) > n {
		out = append(out[:n], fmt.Sprintf("and %s more (see report.json)", fmtCount(float64(len(out)-n))))
	}
	return out
}

// ScanLine is what the scan cost and did.
func (v *View) ScanLine() string {
	s := v.Report.Scan
	line := fmt.Sprintf("%s of CloudWatch and Logs usage at list prices · %s (%s throttled, %s failed) · %s",
		fmtUSD(s.CostUSD), Plural(s.Calls, "API call", "API calls"), fmtCount(float64(s.Throttled)), fmtCount(float64(s.CallErrors)),
		Plural(s.MetricsRequested, "metric", "metrics"))
	if s.LogsQueries > 0 {
		line += fmt.Sprintf(" · %s, %s scanned", Plural(s.LogsQueries, "Logs Insights query", "Logs Insights queries"), fmtBytes(s.LogsBytesScanned))
	}
	if d := s.FinishedAt.Sub(s.StartedAt); d > 0 {
		line += fmt.Sprintf(" · took %s", d.Truncate(time.Second))
	}
	if d := s.Deployment; d != nil {
		n := 0
		for _, k := range d.Invocations {
			n += k
		}
		line += fmt.Sprintf(" · deployment %s (%s: Lambda %s, SQS %s, S3 %s)", fmtUSD(d.CostUSD),
			Plural(n, "invocation", "invocations"), fmtUSD(d.LambdaUSD), fmtUSD(d.SQSUSD), fmtUSD(d.S3USD))
	}
	return line
}

// ConfigLines are the lambdaudit: tags that could not be applied.
func (v *View) ConfigLines(n int) []string {
	var out []string
	for i, p := range v.Report.ConfigProblems {
		if i == n {
			out = append(out, fmt.Sprintf("and %s more (see report.json)", fmtCount(float64(len(v.Report.ConfigProblems)-n))))
			break
		}
		out = append(out, fmt.Sprintf("%s: tag %s=%q ignored: %s", notify.Truncate(notify.Clean(p.Function), MaxNameRunes),
			notify.Truncate(notify.Clean(p.Tag), 80), notify.Truncate(notify.Clean(p.Value), 80), notify.Truncate(notify.Clean(p.Problem), MaxErrorRunes)))
	}
	return out
}

// TopLine is one of the costliest functions: "$24.31 (avg $4.05/day) ·
// month ~$181.20".
func TopLine(f *insights.FunctionCost) string {
	s := fmtUSD(f.CostUSD)
	if b := f.BaselineUSD; b != nil {
		s += fmt.Sprintf(" (avg %s/day)", fmtUSD(*b))
	}
	if p := f.ProjectedMonthUSD; p != nil {
		s += fmt.Sprintf(" · month ~%s", fmtUSD(*p))
	}
	return s
}

// MoverLine is one of the biggest movers: "+$20.26/day (×6.0) → $24.31".
func MoverLine(m *insights.CostMover) string {
	s := fmtSignedUSD(m.ChangeUSD) + "/day"
	switch {
	case m.Ratio != nil:
		s += " (" + fmtRatio(*m.Ratio) + ")"
	case m.BaselineUSD == nil:
		s += " (new)"
	}
	return s + " → " + fmtUSD(m.CostUSD)
}

// DefaultTop is how many of the costliest functions and of the biggest
// cost movers a digest lists unless told otherwise.
const DefaultTop = 5

// AlertCapLine says how many insights the Opsgenie cap left without an
// alert: "Opsgenie: 5 insights opened no alert (cap of 20 new alerts a
// run); one summary alert lists them"; "" for none.
func AlertCapLine(capped, limit int) string {
	if capped <= 0 {
		return ""
	}
	return fmt.Sprintf("Opsgenie: %s opened no alert (cap of %s a run); one summary alert lists them",
		Plural(capped, "insight", "insights"), Plural(limit, "new alert", "new alerts"))
}
