package text

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify"
	"github.com/lambdaudit/lambdaudit/notify/digest"
)

// How many insights of each severity the terminal digest lists; the rest
// are counted ("and N more — see the CSV report").
const (
	textCritical = 10
	textWarning  = 10
	textInfo     = 5
	// textWidth is where the terminal digest wraps its lines.
	textWidth = 100
)

// ANSI SGR sequences of the coloured terminal digest.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// Write writes the digest of a report for a terminal — what a
// platform engineer reads in the morning or forwards to the team: a
// headline with the report day and the scope, the summary with arrows
// and changes against the previous 7 days, the critical and warning
// insights (then the top info ones) with their numbers and actions, the
// costliest functions and the biggest movers, the coverage and what the
// scan cost. With color it uses ANSI colours (for a TTY); without, plain
// text. Text from AWS is cleaned of control characters and escape
// sequences, so a function name cannot drive the terminal.
func Write(w io.Writer, r *insights.Report, color bool) error {
	return WriteWith(w, r, Options{Color: color})
}

// Options shape the terminal digest.
type Options struct {
	// Color uses ANSI colours (for a TTY).
	Color bool
	// AlertsCapped is how many insights opened no Opsgenie alert because
	// the run's cap (AlertCap) was reached: the digest says so under the
	// insights' counts.
	AlertsCapped, AlertCap int
}

// WriteWith is Write with options.
func WriteWith(w io.Writer, r *insights.Report, opt Options) error {
	v := digest.NewView(r)
	t := &textWriter{color: opt.Color}
	t.headline(v)
	t.summary(v)
	t.insights(v)
	if l := digest.AlertCapLine(opt.AlertsCapped, opt.AlertCap); l != "" {
		t.b.WriteByte('\n')
		for _, part := range wrap(l, textWidth-2) {
			t.line("  ", t.paint(ansiYellow, part))
		}
	}
	t.costs(v)
	t.coverage(v)
	if _, err := io.WriteString(w, t.b.String()); err != nil {
		return fmt.Errorf("write digest: %w", err)
	}
	return nil
}

type textWriter struct {
	b     strings.Builder
	color bool
}

// paint wraps s in an SGR sequence when colouring.
func (t *textWriter) paint(sgr, s string) string {
	if !t.color || s == "" {
		return s
	}
	return sgr + s + ansiReset
}

func (t *textWriter) line(parts ...string) {
	t.b.WriteString(strings.TrimRight(strings.Join(parts, ""), " "))
	t.b.WriteByte('\n')
}

func (t *textWriter) heading(title, rest string) {
	t.b.WriteByte('\n')
	if rest != "" {
		rest = "  " + t.paint(ansiDim, rest)
	}
	t.line(t.paint(ansiBold, title), rest)
}

func (t *textWriter) headline(v *digest.View) {
	t.line(t.paint(ansiBold, "Lambda digest · "+v.DayLong))
	if nc := v.NotCovered(3); nc != "" {
		for i, l := range wrap("NOT COVERED: "+nc, textWidth-2) {
			lead := "  "
			if i == 0 {
				lead = t.paint(ansiRed, "✖") + " "
			}
			t.line(lead, t.paint(ansiBold+ansiRed, l))
		}
	}
	t.line(v.ScopeLine())
	t.line(t.paint(ansiDim, fmt.Sprintf("report day %s (UTC) · generated %s", v.Day, v.Report.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"))))
}

func (t *textWriter) summary(v *digest.View) {
	t.heading("SUMMARY", v.SummaryScope())
	for _, row := range v.Summary {
		delta := row.DeltaText()
		pad := strings.Repeat(" ", max(0, 20-utf8.RuneCountInString(delta)))
		switch row.Mood {
		case 1:
			delta = t.paint(ansiGreen, delta)
		case -1:
			delta = t.paint(ansiRed, delta)
		}
		avg := ""
		if row.Baseline != "" {
			avg = "avg " + row.Baseline
		}
		if row.Note != "" {
			avg += " · " + row.Note
		}
		t.line(fmt.Sprintf("  %-17s%14s  ", row.Label, row.Value), delta, pad, t.paint(ansiDim, avg))
	}
}

func (t *textWriter) insights(v *digest.View) {
	c := v.Report.Counts
	if len(v.Report.Insights) == 0 {
		t.heading("INSIGHTS", "")
		t.line("  ", t.paint(ansiGreen, "✔ none — nothing needs attention today"))
		return
	}
	rest := v.CountsLine()
	if c.MonthlySavingUSD >= 0.01 {
		rest += " · est. savings " + insights.FormatUSD(c.MonthlySavingUSD) + "/month"
	}
	t.heading(fmt.Sprintf("INSIGHTS (%s)", insights.FormatCount(float64(len(v.Report.Insights)))), rest)
	for _, g := range v.Groups {
		limit, mark, sgr := textInfo, "●", ansiCyan
		switch g.Severity {
		case insights.Critical:
			limit, mark, sgr = textCritical, "✖", ansiRed
		case insights.Warning:
			limit, mark, sgr = textWarning, "▲", ansiYellow
		}
		t.b.WriteByte('\n')
		t.line(t.paint(ansiBold+sgr, fmt.Sprintf("%s (%s)", strings.ToUpper(digest.SeverityTitle(g.Severity)), insights.FormatCount(float64(len(g.Insights))))),
			"  ", t.paint(ansiDim, g.ByKind))
		for _, i := range digest.PickVaried(g.Insights, limit) {
			t.insight(v, g.Insights[i], mark, sgr)
		}
		if n := len(g.Insights) - limit; n > 0 {
			t.line("  ", t.paint(ansiDim, fmt.Sprintf("… and %s more — see the CSV report", insights.FormatCount(float64(n)))))
		}
	}
}

// insight writes one insight: a mark, what and where; the title with its
// numbers; the action (and saving), wrapped.
func (t *textWriter) insight(v *digest.View, in *insights.Insight, mark, sgr string) {
	t.line("  ", t.paint(sgr, mark), " ", t.paint(ansiBold, digest.Subject(in)), "  ", t.paint(ansiDim, v.Location(in.Account, in.Region)))
	for _, l := range wrap(notify.Truncate(notify.Clean(in.Title), digest.MaxTitleRunes), textWidth-4) {
		t.line("    ", l)
	}
	act := notify.Truncate(notify.Clean(in.Action), digest.MaxActionRunes)
	if sv := digest.Saving(in); sv != "" {
		act += " (" + sv + ")"
	}
	for i, l := range wrap(act, textWidth-6) {
		lead := "      "
		if i == 0 {
			lead = "    " + t.paint(ansiDim, "→") + " "
		}
		t.line(lead, l)
	}
}

func (t *textWriter) costs(v *digest.View) {
	tops := v.Report.TopFunctions[:min(digest.DefaultTop, len(v.Report.TopFunctions))]
	movers := v.Report.CostMovers[:min(digest.DefaultTop, len(v.Report.CostMovers))]
	width := 0
	for i := range tops {
		width = max(width, utf8.RuneCountInString(notify.Truncate(notify.Clean(tops[i].Name), 40))+2+utf8.RuneCountInString(v.Location(tops[i].Account, tops[i].Region)))
	}
	for i := range movers {
		width = max(width, utf8.RuneCountInString(notify.Truncate(notify.Clean(movers[i].Name), 40))+2+utf8.RuneCountInString(v.Location(movers[i].Account, movers[i].Region)))
	}
	where := func(name, account, region string) string {
		n, loc := notify.Truncate(notify.Clean(name), 40), v.Location(account, region)
		pad := strings.Repeat(" ", max(0, width-utf8.RuneCountInString(n)-2-utf8.RuneCountInString(loc)))
		return n + "  " + t.paint(ansiDim, loc) + pad
	}
	if len(tops) > 0 {
		t.heading("TOP COST", "the report day's costliest functions")
		for i := range tops {
			f := &tops[i]
			t.line(fmt.Sprintf("  %2d. ", i+1), where(f.Name, f.Account, f.Region), "  ", digest.TopLine(f))
		}
	}
	if len(movers) > 0 {
		t.heading("BIGGEST MOVERS", "against the previous 7 days' average")
		for i := range movers {
			m := &movers[i]
			ch := digest.MoverLine(m)
			if m.ChangeUSD > 0 {
				ch = t.paint(ansiRed, ch)
			} else {
				ch = t.paint(ansiGreen, ch)
			}
			t.line("      ", where(m.Name, m.Account, m.Region), "  ", ch)
		}
	}
}

func (t *textWriter) coverage(v *digest.View) {
	t.heading("COVERAGE", "")
	for _, l := range wrap(v.CoverageLine(), textWidth-2) {
		t.line("  ", l)
	}
	if l := v.LogsSkippedLine(); l != "" {
		for _, w := range wrap(l, textWidth-2) {
			t.line("  ", t.paint(ansiDim, w))
		}
	}
	for _, l := range v.FailureLines(5) {
		for i, w := range wrap(l, textWidth-6) {
			lead := "    "
			if i == 0 {
				lead = "  " + t.paint(ansiRed, "✖") + " "
			}
			t.line(lead, w)
		}
	}
	if l := v.NotCheckedLine(); l != "" {
		for _, w := range wrap(l, textWidth-2) {
			t.line("  ", t.paint(ansiDim, w))
		}
	}
	for _, l := range v.ConfigLines(3) {
		for _, w := range wrap("tag: "+l, textWidth-2) {
			t.line("  ", t.paint(ansiDim, w))
		}
	}
	t.heading("SCAN", "what the scan itself cost")
	for _, l := range wrap(v.ScanLine(), textWidth-2) {
		t.line("  ", l)
	}
}

// wrap breaks s into lines of at most width runes at spaces (a longer
// word stands on its own line).
func wrap(s string, width int) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return nil
	}
	var out []string
	cur := words[0]
	for _, w := range words[1:] {
		if utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) > width {
			out = append(out, cur)
			cur = w
			continue
		}
		cur += " " + w
	}
	return append(out, cur)
}
