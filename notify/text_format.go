package notify

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// The digest's view of a report, shared by the Slack digest and the
// terminal one so both say the same thing: what is in scope, the summary
// rows with their changes, the insights by severity, where the money
// goes and what the scan covered. Every string that comes from AWS
// (function names, error text, tag values) is cleaned of control
// characters here; each renderer escapes it for its medium.

// digestView is a report made ready to render.
type digestView struct {
	r *insights.Report
	// day is the report day as YYYY-MM-DD, dayLong as "Fri 20 Nov 2026".
	day, dayLong string
	// accounts and regions are those the report names (sorted);
	// multiAccount says whether locations need the account.
	accounts, regions []string
	multiAccount      bool
	summary           []summaryRow
	// groups are the insights by severity, most urgent first; empty
	// severities are left out.
	groups []insightGroup
}

// insightGroup is the insights of one severity, in the report's order
// (impact first).
type insightGroup struct {
	sev      insights.Severity
	insights []*insights.Insight
	// byKind is "near-timeout 3 · cost-spike 1 …", largest first; kinds
	// the same groups in that order.
	byKind string
	kinds  []*kindGroup
}

// kindGroup is the insights of one kind within a severity.
type kindGroup struct {
	kind string
	n    int
	// action is the suggested action when all of them share it, else "".
	action string
}

// summaryRow is one figure of the summary: its value, its change against
// the previous 7 days' average and whether that change is good news.
type summaryRow struct {
	label    string
	value    string
	delta    string // "+89 %", "-0.04 pt", "new", "" without a baseline
	baseline string // the previous 7 days' average, formatted
	note     string // e.g. "9 functions with cold-start data"
	// dir is the change's direction (+1, -1, 0); mood whether it is good
	// (+1), bad (-1) or neither (0).
	dir, mood int
}

func newView(r *insights.Report) *digestView {
	v := &digestView{r: r, day: clean(r.ReportDay), dayLong: clean(r.ReportDay)}
	if t, err := time.Parse("2006-01-02", r.ReportDay); err == nil {
		v.dayLong = t.Format("Mon 2 Jan 2006")
	}
	v.accounts, v.regions = scope(r)
	v.multiAccount = len(v.accounts) > 1
	v.summary = summaryRows(&r.Summary)
	for _, sev := range []insights.Severity{insights.Critical, insights.Warning, insights.Info} {
		g := insightGroup{sev: sev}
		kinds := map[string]*kindGroup{}
		for i := range r.Insights {
			in := &r.Insights[i]
			if in.Severity == sev || (sev == insights.Info && in.Severity != insights.Critical && in.Severity != insights.Warning) {
				g.insights = append(g.insights, in)
				k, act := clean(in.Kind), clean(in.Action)
				if kinds[k] == nil {
					kinds[k] = &kindGroup{kind: k, action: act}
					g.kinds = append(g.kinds, kinds[k])
				}
				kinds[k].n++
				if kinds[k].action != act {
					kinds[k].action = ""
				}
			}
		}
		if len(g.insights) > 0 {
			sort.SliceStable(g.kinds, func(i, j int) bool {
				if g.kinds[i].n != g.kinds[j].n {
					return g.kinds[i].n > g.kinds[j].n
				}
				return g.kinds[i].kind < g.kinds[j].kind
			})
			parts := make([]string, len(g.kinds))
			for i, k := range g.kinds {
				parts[i] = fmt.Sprintf("%s %s", k.kind, fmtCount(float64(k.n)))
			}
			g.byKind = strings.Join(parts, " · ")
			v.groups = append(v.groups, g)
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
			accounts = append(accounts, clean(a))
		}
		for _, rg := range r.Coverage.Regions {
			regions = append(regions, clean(rg))
		}
		return accounts, regions
	}
	as, rs := map[string]bool{}, map[string]bool{}
	add := func(a, rg string) {
		if a = clean(a); a != "" {
			as[a] = true
		}
		if rg = clean(rg); rg != "" {
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

// pickVaried picks up to n of a severity's insights (their indices, in
// order) favouring variety: at most perKind of a kind while other kinds
// have some left, then the others in order.
func pickVaried(ins []*insights.Insight, n int) []int {
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
func summaryRows(s *insights.Summary) []summaryRow {
	return []summaryRow{
		healthRow(&s.Health),
		figureRow("Invocations", &s.Invocations, fmtCount, 0),
		figureRow("Errors", &s.Errors, fmtCount, -1),
		coldRow(&s.ColdStarts),
		pricedRow(figureRow("Cost of the day", &s.CostUSD, fmtUSD, -1), &s.CostUSD, &s.Invocations),
		figureRow("Projected month", &s.ProjectedMonthUSD, fmtUSD, -1),
	}
}

// pricedRow says on the cost row when it leaves out invoked functions
// the cost model could not price (a region without a price, Managed
// Instances; the coverage block says why): the figure is a part, not the
// fleet's cost.
func pricedRow(row summaryRow, cost, invocations *insights.Figure) summaryRow {
	if cost.Value != nil && cost.Functions < invocations.Functions {
		row.note = fmt.Sprintf("priced for %s of %s", fmtCount(float64(cost.Functions)), plural(invocations.Functions, "invoked function", "invoked functions"))
	}
	return row
}

// figureRow renders a figure; upIs says whether a rise is good (+1), bad
// (-1) or neither (0).
func figureRow(label string, f *insights.Figure, format func(float64) string, upIs int) summaryRow {
	row := summaryRow{label: label, value: "no data"}
	if f.Value != nil {
		row.value = format(*f.Value)
	}
	if f.Baseline != nil {
		row.baseline = format(*f.Baseline)
	}
	if f.Change != nil {
		// A change shown as ±0 % claims no direction and no mood.
		if f.ChangeRatio == nil || !ratioShownZero(*f.ChangeRatio) {
			row.dir = sign(*f.Change)
		}
		row.mood = row.dir * upIs
		switch {
		case f.ChangeRatio != nil:
			row.delta = fmtRatioChange(*f.ChangeRatio)
		case *f.Change == 0:
			row.delta = "±0"
		default: // a baseline of 0
			row.delta = "new"
		}
	}
	return row
}

func healthRow(f *insights.Figure) summaryRow {
	row := summaryRow{label: "Health", value: "no data"}
	if f.Value != nil {
		row.value = fmtHealth(*f.Value)
	}
	if f.Baseline != nil {
		row.baseline = fmtHealth(*f.Baseline)
	}
	if f.Change != nil {
		pt := *f.Change * 100
		row.delta = fmtHealthChange(pt)
		if truncTo(pt, 2) != 0 {
			row.dir = sign(pt)
		}
		row.mood = row.dir
	}
	return row
}

func coldRow(f *insights.Figure) summaryRow {
	row := figureRow("Cold starts", f, fmtCount, -1)
	if f.Value != nil {
		// REPORT statistics or Lambda Insights: not only logs.
		row.note = fmt.Sprintf("%s with cold-start data", plural(f.Functions, "function", "functions"))
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

// arrow is ▲, ▼ or = for a direction.
func arrow(dir int) string {
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

// deltaText is a summary row's change: "▲ +151 % worse", "▼ -12 %
// better", "▲ +166 %" (no mood), "±0 %" or "".
func (row summaryRow) deltaText() string {
	if row.delta == "" || row.dir == 0 {
		return row.delta
	}
	s := arrow(row.dir) + " " + row.delta
	if w := moodWord(row.mood); w != "" {
		s += " " + w
	}
	return s
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

func plural(n int, one, many string) string { return insights.Plural(float64(n), one, many) }

// severityLabel is "critical", "warnings" or "info" with its count.
func severityLabel(sev insights.Severity, n int) string {
	switch sev {
	case insights.Critical:
		return fmt.Sprintf("%s critical", fmtCount(float64(n)))
	case insights.Warning:
		return plural(n, "warning", "warnings")
	}
	return fmt.Sprintf("%s info", fmtCount(float64(n)))
}

// severityTitle is the heading of a severity's group.
func severityTitle(sev insights.Severity) string {
	switch sev {
	case insights.Critical:
		return "Critical"
	case insights.Warning:
		return "Warnings"
	}
	return "Info"
}

// listLimited joins at most n items and says how many more there are.
func listLimited(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %s more", strings.Join(items[:n], ", "), fmtCount(float64(len(items)-n)))
}

// Limits of AWS text in the digest, in runes: an error text can be
// kilobytes long.
const (
	maxTitleRunes  = 300
	maxActionRunes = 300
	maxErrorRunes  = 200
	maxNameRunes   = 140
)

// location is where an insight or a function is: its region, with the
// account when the report spans several.
func (v *digestView) location(account, region string) string {
	if v.multiAccount {
		return clean(account) + "/" + clean(region)
	}
	return clean(region)
}

// subject names what an insight is about: its function, or its
// account-region's total.
func subject(in *insights.Insight) string {
	if in.Function == "" {
		return "region total"
	}
	return truncate(clean(in.Function), maxNameRunes)
}

// saving renders an insight's monthly saving: "" below a cent, or when
// the title already says it.
func saving(in *insights.Insight) string {
	if s := in.MonthlySavingUSD; s != nil && *s >= 0.01 && !strings.Contains(in.Title, fmtUSD(*s)) {
		return "saves ~" + fmtUSD(*s) + "/month"
	}
	return ""
}

// scopeLine is "2 accounts (111111111111, 222222222222) · 2 regions
// (us-east-1, eu-west-1) · 64 functions".
func (v *digestView) scopeLine() string {
	var parts []string
	switch len(v.accounts) {
	case 0:
	case 1:
		parts = append(parts, "account "+v.accounts[0])
	default:
		parts = append(parts, fmt.Sprintf("%d accounts (%s)", len(v.accounts), listLimited(v.accounts, 4)))
	}
	switch len(v.regions) {
	case 0:
	case 1:
		parts = append(parts, v.regions[0])
	default:
		parts = append(parts, fmt.Sprintf("%d regions (%s)", len(v.regions), listLimited(v.regions, 6)))
	}
	fns := plural(v.r.Coverage.Listed, "function", "functions")
	if v.incomplete() {
		c := v.r.Coverage
		fns = plural(c.Listed, "function", "functions") + " listed"
		if c.NotCovered > 0 {
			fns += " (" + fmtCount(float64(c.NotCovered)) + " not covered)"
		}
	}
	parts = append(parts, fns)
	return strings.Join(parts, " · ")
}

// summaryScope is the summary's heading note: which functions its
// figures are over.
func (v *digestView) summaryScope() string {
	s := "the report day against the previous 7 days' average"
	if v.incomplete() {
		s += " — covered functions only, not the whole fleet"
	}
	return s
}

// countsLine is "7 critical · 9 warnings · 5 info".
func (v *digestView) countsLine() string {
	c := v.r.Counts
	return fmt.Sprintf("%s · %s · %s", severityLabel(insights.Critical, c.Critical),
		severityLabel(insights.Warning, c.Warning), severityLabel(insights.Info, c.Info))
}

// coverageLine is "64 of 64 functions scanned (2 partial, 1 failed) in 8
// of 9 account-regions; 60 invoked on the report day, 4 idle".
func (v *digestView) coverageLine() string {
	c := v.r.Coverage
	s := fmt.Sprintf("%s of %s scanned", fmtCount(float64(c.Scanned)), plural(c.Listed, "function", "functions"))
	if c.Partial > 0 || c.Failed > 0 {
		s += fmt.Sprintf(" (%s partial, %s failed)", fmtCount(float64(c.Partial)), fmtCount(float64(c.Failed)))
	}
	s += fmt.Sprintf(" in %s of %s", fmtCount(float64(c.Targets-c.TargetsFailed)), plural(c.Targets, "account-region", "account-regions"))
	s += fmt.Sprintf("; %s invoked on the report day, %s idle", fmtCount(float64(c.Invoked)), fmtCount(float64(c.Idle)))
	return s
}

// notCheckedLine says how many checks could not run for lack of data.
func (v *digestView) notCheckedLine() string {
	c := v.r.Coverage
	if c.RulesNotRun == 0 {
		return ""
	}
	// "logs: over the log budget" reads "logs"; the report has the rest.
	var order []string
	counts := map[string]int{}
	for _, m := range v.r.Missing {
		reason, _, _ := strings.Cut(clean(m.Reason), ":")
		reason = truncate(reason, 60)
		if _, ok := counts[reason]; !ok {
			order = append(order, reason)
		}
		counts[reason] += m.Count
	}
	reasons := make([]string, len(order))
	for i, r := range order {
		reasons[i] = fmt.Sprintf("%s (%s)", r, fmtCount(float64(counts[r])))
	}
	return fmt.Sprintf("%s could not run for lack of data: %s", plural(c.RulesNotRun, "check", "checks"), listLimited(reasons, 3))
}

// failureLines are the scan's failures: the account-regions it could
// not list, then the functions' failures by reason (most frequent first).
func (v *digestView) failureLines(n int) []string {
	if len(v.r.Coverage.Causes) > 0 {
		return v.causeLines(n)
	}
	var out []string
	for _, t := range v.r.Coverage.FailedTargets {
		out = append(out, fmt.Sprintf("%s/%s not scanned: %s", clean(t.Account), clean(t.Region), truncate(clean(t.Error), maxErrorRunes)))
	}
	type rc struct {
		r string
		n int
	}
	var rs []rc
	for r, k := range v.r.Coverage.Reasons {
		if strings.HasPrefix(r, "inventory:") && len(v.r.Coverage.FailedTargets) > 0 {
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
		out = append(out, fmt.Sprintf("%s: %s", plural(x.n, "failure", "failures"), truncate(clean(x.r), maxErrorRunes)))
	}
	if len(out) > n {
		out = append(out[:n], fmt.Sprintf("and %s more (see report.json)", fmtCount(float64(len(out)-n))))
	}
	return out
}

// scanLine is what the scan cost and did.
func (v *digestView) scanLine() string {
	s := v.r.Scan
	line := fmt.Sprintf("%s of CloudWatch and Logs usage at list prices · %s (%s throttled, %s failed) · %s",
		fmtUSD(s.CostUSD), plural(s.Calls, "API call", "API calls"), fmtCount(float64(s.Throttled)), fmtCount(float64(s.CallErrors)),
		plural(s.MetricsRequested, "metric", "metrics"))
	if s.LogsQueries > 0 {
		line += fmt.Sprintf(" · %s, %s scanned", plural(s.LogsQueries, "Logs Insights query", "Logs Insights queries"), fmtBytes(s.LogsBytesScanned))
	}
	if d := s.FinishedAt.Sub(s.StartedAt); d > 0 {
		line += fmt.Sprintf(" · took %s", d.Truncate(time.Second))
	}
	return line
}

// configLines are the lambdaudit: tags that could not be applied.
func (v *digestView) configLines(n int) []string {
	var out []string
	for i, p := range v.r.ConfigProblems {
		if i == n {
			out = append(out, fmt.Sprintf("and %s more (see report.json)", fmtCount(float64(len(v.r.ConfigProblems)-n))))
			break
		}
		out = append(out, fmt.Sprintf("%s: tag %s=%q ignored: %s", truncate(clean(p.Function), maxNameRunes),
			truncate(clean(p.Tag), 80), truncate(clean(p.Value), 80), truncate(clean(p.Problem), maxErrorRunes)))
	}
	return out
}

// topLine is one of the costliest functions: "$24.31 (avg $4.05/day) ·
// month ~$181.20".
func topLine(f *insights.FunctionCost) string {
	s := fmtUSD(f.CostUSD)
	if b := f.BaselineUSD; b != nil {
		s += fmt.Sprintf(" (avg %s/day)", fmtUSD(*b))
	}
	if p := f.ProjectedMonthUSD; p != nil {
		s += fmt.Sprintf(" · month ~%s", fmtUSD(*p))
	}
	return s
}

// moverLine is one of the biggest movers: "+$20.26/day (×6.0) → $24.31".
func moverLine(m *insights.CostMover) string {
	s := fmtSignedUSD(m.ChangeUSD) + "/day"
	switch {
	case m.Ratio != nil:
		s += " (" + fmtRatio(*m.Ratio) + ")"
	case m.BaselineUSD == nil:
		s += " (new)"
	}
	return s + " → " + fmtUSD(m.CostUSD)
}
