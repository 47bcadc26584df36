package slack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify"
	"github.com/lambdaudit/lambdaudit/notify/digest"
)

// Slack's limits on a message, and the budget the digest keeps under
// them (../shared/AWS-FACTS.md, "Delivery APIs").
const (
	// MaxBlocks is Slack's limit of blocks in a message.
	MaxBlocks = 50
	// MaxSectionChars is Slack's limit of a section's text.
	MaxSectionChars = 3000
	// MaxHeaderChars is Slack's limit of a header's plain text.
	MaxHeaderChars = 150
	// MessageBudget is the most one message of the digest may weigh,
	// in bytes of its JSON (blocks and fallback text, escaping included):
	// Slack has refused messages near 13,000 characters
	// (msg_blocks_too_long), so the digest stays well under that and
	// continues in the thread or points to the CSV.
	MessageBudget = 10000
)

// Defaults of DigestOptions.
const (
	DefaultDigestInsights = 10
	DefaultDigestReplies  = 5
	// DefaultDigestTop is the digest's (digest.DefaultTop), the same in the
	// terminal digest.
	DefaultDigestTop = digest.DefaultTop
)

// sectionTarget is the size the digest packs a section's text to,
// leaving room under MaxSectionChars; contextMaxChars the size of
// a context block's text.
const (
	sectionTarget   = 2800
	contextMaxChars = 2000
)

// DigestOptions shape the Slack digest.
type DigestOptions struct {
	// CSVURL is the CSV report's link (a presigned S3 URL): where the
	// digest overflows it says "and N more — see the CSV" with this link.
	// Empty: the note names the CSV without a link.
	CSVURL string
	// Thread continues the insights that do not fit the message in thread
	// replies (the bot mode; an incoming webhook cannot reply).
	Thread bool
	// MaxInsights is how many insights the message itself lists (critical
	// first, then warnings, then info); 0 is DefaultDigestInsights.
	MaxInsights int
	// MaxReplies caps the thread replies; 0 is DefaultDigestReplies.
	MaxReplies int
	// Top is how many of the costliest functions and of the biggest cost
	// movers the message lists; 0 is DefaultDigestTop.
	Top int
	// AlertsCapped is how many insights opened no Opsgenie alert because
	// the run's cap (AlertCap) was reached (opsgenie.Plan.Capped): the
	// message says so under the insights' counts.
	AlertsCapped, AlertCap int
}

// Message is one Slack message: Block Kit blocks and the plain
// fallback text that notifications show.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// DigestMessage is the digest of a report for Slack: the message, and
// the thread replies that continue it in the bot mode (DigestOptions.Thread).
type DigestMessage struct {
	Message
	Thread []Message
	// Listed counts the insights the message and its thread list;
	// Overflow those left to the CSV.
	Listed, Overflow int
}

// Digest builds the Slack digest of a report; it is pure (no I/O). The
// message holds a header with the report day and the scope, the summary
// with its changes against the previous 7 days, the insights by
// severity with their numbers and suggested actions, the costliest
// functions and the biggest movers, the coverage and what the scan cost.
// Each message stays within Slack's limits (MaxBlocks,
// MaxSectionChars, MessageBudget); insights that do not fit
// continue in the thread (opt.Thread) and, past opt.MaxReplies, are
// counted in "and N more — see the CSV". Text from AWS is escaped for
// mrkdwn and every text object is verbatim, so a function named
// <!channel> is shown, not obeyed.
func Digest(r *insights.Report, opt DigestOptions) DigestMessage {
	opt = opt.withDefaults()
	v := newView(r)
	items := flatten(v)

	text := esc(fmt.Sprintf("Lambda digest for %s: %s · cost of the day %s · projected month %s",
		v.Day, v.CountsLine(), v.Summary[4].Text(), v.Summary[5].Text()))
	if nc := v.NotCovered(2); nc != "" {
		// The notification a phone shows says first that the figures
		// are not the whole fleet's.
		text = esc(fmt.Sprintf("Lambda digest for %s — INCOMPLETE, not covered: %s. Covered functions: %s · cost of the day %s · projected month %s",
			v.Day, nc, v.CountsLine(), v.Summary[4].Text(), v.Summary[5].Text()))
	}
	head := v.headBlocks(opt)
	tail := v.tailBlocks(opt.Top)
	used := jsonSize(text) + blocksSize(head) + blocksSize(tail)
	budget := MessageBudget - used - noteRoom
	blocksLeft := MaxBlocks - len(head) - len(tail) - 1
	cands := v.mainPick(opt.MaxInsights)
	listed, body := packInsights(v, cands, 0, len(cands), blocksLeft, budget)

	msg := DigestMessage{Message: Message{Text: text}}
	shown := map[*insights.Insight]bool{}
	for _, it := range cands[:listed] {
		shown[it.in] = true
	}
	var rest []item
	for _, it := range items {
		if !shown[it.in] {
			rest = append(rest, it)
		}
	}
	var left []item // for the CSV
	switch {
	case len(rest) == 0:
	case opt.Thread:
		thread := threadItems(rest)
		replies, n := v.threadReplies(thread, opt.MaxReplies)
		left = thread[n:]
		msg.Thread = replies
		note := fmt.Sprintf(":thread: …and %s (%s) in the thread.", digest.Plural(len(rest), "more insight", "more insights"), countBySeverity(rest))
		if len(left) > 0 {
			note = fmt.Sprintf(":thread: …and %s (%s): %d in the thread, the other %d — %s.", digest.Plural(len(rest), "more insight", "more insights"),
				countBySeverity(rest), n, len(left), seeCSV(opt.CSVURL))
			last := &msg.Thread[len(msg.Thread)-1]
			last.Blocks = append(last.Blocks, section(overflowNote(left, opt.CSVURL)))
		}
		body = append(body, section(note))
	default:
		left = rest
		body = append(body, section(overflowNote(rest, opt.CSVURL)))
	}
	msg.Overflow = len(left)
	msg.Listed = len(items) - msg.Overflow
	msg.Blocks = append(append(head, body...), tail...)
	return msg
}

// noteRoom is the room a message keeps for its overflow note.
const noteRoom = 600

func (o DigestOptions) withDefaults() DigestOptions {
	if o.MaxInsights <= 0 {
		o.MaxInsights = DefaultDigestInsights
	}
	if o.MaxReplies <= 0 {
		o.MaxReplies = DefaultDigestReplies
	}
	if o.Top <= 0 {
		o.Top = DefaultDigestTop
	}
	return o
}

// item is an insight in the digest's order; in the thread, kind groups
// the insights of one kind under a heading that carries their action.
type item struct {
	g    *digest.InsightGroup
	in   *insights.Insight
	kind *digest.KindGroup
}

func flatten(v *digestView) []item {
	var out []item
	for gi := range v.Groups {
		g := &v.Groups[gi]
		for _, in := range g.Insights {
			out = append(out, item{g: g, in: in})
		}
	}
	return out
}

// mainPick chooses the insights the message lists: up to n, the most
// urgent severity first, varied in kind within a severity (digest.PickVaried),
// in the report's order.
func (v *digestView) mainPick(n int) []item {
	var out []item
	for gi := range v.Groups {
		g := &v.Groups[gi]
		for _, i := range digest.PickVaried(g.Insights, n-len(out)) {
			out = append(out, item{g: g, in: g.Insights[i]})
		}
	}
	return out
}

// threadItems orders the insights the message could not list for the
// thread: by severity, then by kind (the most frequent first), then in
// the report's order, so that one heading per kind says what to do.
func threadItems(rest []item) []item {
	var out []item
	for i := 0; i < len(rest); {
		j := i
		for j < len(rest) && rest[j].g == rest[i].g {
			j++
		}
		g := rest[i].g
		for _, k := range g.Kinds {
			for _, it := range rest[i:j] {
				if notify.Clean(it.in.Kind) == k.Kind {
					it.kind = k
					out = append(out, it)
				}
			}
		}
		i = j
	}
	return out
}

// packInsights lists items[from:] — at most n of them — into section
// blocks, within blocks and bytes; it returns how many it listed. Each
// severity starts a section with its heading; a message that starts in
// the middle of a severity or a kind says it continues.
func packInsights(v *digestView, items []item, from, n, blocks, bytes int) (int, []slack.Block) {
	var texts []string
	listed := 0
	size := func(ts []string) int {
		s := 0
		for _, t := range ts {
			s += blockSize(section(t))
		}
		return s
	}
	for i := from; i < len(items) && listed < n; i++ {
		it := items[i]
		var head []string
		newGroup := i == from || items[i-1].g != it.g
		if newGroup {
			h := fmt.Sprintf("%s *%s — %s*", severityEmoji(it.g.Severity), digest.SeverityTitle(it.g.Severity), insights.FormatCount(float64(len(it.g.Insights))))
			if i == from && i > 0 && items[i-1].g == it.g {
				h += " _(continued)_"
			}
			head = append(head, h)
		}
		if k := it.kind; k != nil && (newGroup || items[i-1].kind != k) {
			h := fmt.Sprintf("*%s* (%d)", esc(k.Kind), k.N)
			if i == from && i > 0 && items[i-1].kind == k {
				h += " _(continued)_"
			}
			if k.Action != "" {
				h += " ↳ " + esc(notify.Truncate(k.Action, digest.MaxActionRunes))
			}
			head = append(head, h)
		}
		withAction := it.kind == nil || it.kind.Action == ""
		line := strings.Join(append(head, v.slackInsight(it.in, withAction)), "\n")
		next := append([]string(nil), texts...)
		if k := len(next) - 1; k >= 0 && !newGroup && utf8.RuneCountInString(next[k])+1+utf8.RuneCountInString(line) <= sectionTarget {
			next[k] += "\n" + line
		} else {
			next = append(next, line)
		}
		if len(next) > blocks || size(next) > bytes {
			break
		}
		texts = next
		listed++
	}
	out := make([]slack.Block, len(texts))
	for i, t := range texts {
		out[i] = section(t)
	}
	return listed, out
}

// threadReplies list items in at most maxReplies replies; it returns
// them and how many items they list.
func (v *digestView) threadReplies(items []item, maxReplies int) ([]Message, int) {
	var out []Message
	at := 0
	// The part numbers are written once the count is known; "(99/99)"
	// keeps their room.
	probe := func(i, n int) (string, *slack.ContextBlock) {
		return esc(fmt.Sprintf("Lambda digest for %s, continued (%d/%d)", v.Day, i, n)),
			contextBlock(fmt.Sprintf("Lambda digest for *%s*, continued (%d/%d)", esc(v.Day), i, n))
	}
	text, ctx := probe(99, 99)
	budget := MessageBudget - blockSize(ctx) - jsonSize(text) - noteRoom
	for len(out) < maxReplies && at < len(items) {
		n, body := packInsights(v, items, at, len(items)-at, MaxBlocks-2, budget)
		if n == 0 { // cannot happen: an insight's lines are bounded
			break
		}
		out = append(out, Message{Blocks: append([]slack.Block{nil}, body...)})
		at += n
	}
	for i := range out {
		out[i].Text, out[i].Blocks[0] = probe(i+1, len(out))
	}
	return out, at
}

// overflowNote is "…and N more (x critical, y warnings) — see the CSV".
func overflowNote(rest []item, csvURL string) string {
	return fmt.Sprintf(":heavy_plus_sign: …and %s (%s) — %s.", digest.Plural(len(rest), "more insight", "more insights"), countBySeverity(rest), seeCSV(csvURL))
}

// seeCSV is "see the CSV" linked to the CSV report, when there is a link.
func seeCSV(csvURL string) string {
	if link := slackLink(csvURL, "see the CSV"); link != "" {
		return link
	}
	return "see the CSV report"
}

// countBySeverity is "3 critical, 5 warnings, 2 info" of some items.
func countBySeverity(items []item) string {
	var parts []string
	for _, sev := range []insights.Severity{insights.Critical, insights.Warning, insights.Info} {
		n := 0
		for _, it := range items {
			if it.g.Severity == sev {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, digest.SeverityLabel(sev, n))
		}
	}
	return strings.Join(parts, ", ")
}

// slackLink is a mrkdwn link to an http(s) URL, "" for anything else.
func slackLink(raw, label string) string {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	// | and > end the link in mrkdwn; the encoder escapes them.
	s := strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C", " ", "%20").Replace(notify.Clean(u.String()))
	return "<" + strings.ReplaceAll(s, "&", "&amp;") + "|" + esc(label) + ">"
}

// headBlocks are the header, the scope, the summary and the insights'
// counts by severity and kind.
func (v *digestView) headBlocks(opt DigestOptions) []slack.Block {
	title := notify.Truncate("Lambda digest · "+v.DayLong, MaxHeaderChars)
	hdr := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, title, false, false))
	sc := contextBlock(fmt.Sprintf("*Scope* %s · report day %s (UTC) · generated %s",
		esc(v.ScopeLine()), esc(v.Day), v.Report.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC")))
	var fields []*slack.TextBlockObject
	for _, row := range v.Summary {
		s := fmt.Sprintf("*%s*\n%s", row.Label, rowMrkdwn(row))
		if row.Baseline != "" {
			s += "\n7-day avg " + esc(row.Baseline)
		}
		if row.Note != "" {
			s += " · " + esc(row.Note)
		}
		fields = append(fields, mrkdwn(s))
	}
	summary := slack.NewSectionBlock(mrkdwn("*Summary* — "+esc(v.SummaryScope())), fields, nil)
	blocks := []slack.Block{hdr}
	if nc := v.NotCovered(5); nc != "" {
		blocks = append(blocks, section(notify.Truncate(":warning: *Not covered:* "+esc(nc), sectionTarget)))
	}
	blocks = append(blocks, sc, summary, slack.NewDividerBlock())

	c := v.Report.Counts
	var b strings.Builder
	if len(v.Report.Insights) == 0 {
		b.WriteString(":white_check_mark: *No insights* — nothing needs attention today.")
	} else {
		fmt.Fprintf(&b, "*%s*", digest.Plural(len(v.Report.Insights), "insight", "insights"))
		if c.MonthlySavingUSD >= 0.01 {
			fmt.Fprintf(&b, " · est. savings *%s/month*", insights.FormatUSD(c.MonthlySavingUSD))
		}
		for _, g := range v.Groups {
			fmt.Fprintf(&b, "\n%s *%s* — %s", severityEmoji(g.Severity), digest.SeverityLabel(g.Severity, len(g.Insights)), esc(g.ByKind))
		}
	}
	if l := digest.AlertCapLine(opt.AlertsCapped, opt.AlertCap); l != "" {
		b.WriteString("\n:rotating_light: " + esc(l))
	}
	return append(blocks, section(notify.Truncate(b.String(), sectionTarget)))
}

// rowMrkdwn is a summary row's value with its change in the message,
// the arrow coloured by whether the change is good news: a change for
// the worse has a red triangle (:small_red_triangle: up,
// :small_red_triangle_down: down), one for the better the plain arrow
// and a check mark, so cost up and health up no longer look alike.
func rowMrkdwn(row digest.SummaryRow) string {
	if row.Delta == "" || row.Dir == 0 {
		return esc(row.Text())
	}
	a := digest.Arrow(row.Dir)
	switch {
	case row.Mood < 0 && row.Dir > 0:
		a = ":small_red_triangle:"
	case row.Mood < 0:
		a = ":small_red_triangle_down:"
	}
	s := esc(row.Value) + " " + a + " " + esc(row.Delta)
	switch row.Mood {
	case 1:
		s += " :white_check_mark: _better_"
	case -1:
		s += " _worse_"
	}
	return s
}

// tailBlocks are the costliest functions, the biggest movers, the
// coverage and the scan.
func (v *digestView) tailBlocks(top int) []slack.Block {
	blocks := []slack.Block{slack.NewDividerBlock()}
	if tops := v.Report.TopFunctions; len(tops) > 0 {
		var b strings.Builder
		b.WriteString("*Top cost — the report day*")
		for i := range tops[:min(top, len(tops))] {
			f := &tops[i]
			fmt.Fprintf(&b, "\n%d. %s %s · %s", i+1, code(notify.Truncate(notify.Clean(f.Name), digest.MaxNameRunes)), esc(v.Location(f.Account, f.Region)), esc(digest.TopLine(f)))
		}
		blocks = append(blocks, section(b.String()))
	}
	if movers := v.Report.CostMovers; len(movers) > 0 {
		var b strings.Builder
		b.WriteString("*Biggest movers* — against the previous 7 days' average")
		for i := range movers[:min(top, len(movers))] {
			m := &movers[i]
			fmt.Fprintf(&b, "\n• %s %s · %s", code(notify.Truncate(notify.Clean(m.Name), digest.MaxNameRunes)), esc(v.Location(m.Account, m.Region)), esc(digest.MoverLine(m)))
		}
		blocks = append(blocks, section(b.String()))
	}
	var b strings.Builder
	b.WriteString("*Coverage* " + esc(v.CoverageLine()))
	if l := v.LogsSkippedLine(); l != "" {
		b.WriteString("\n" + esc(l))
	}
	for _, l := range v.FailureLines(3) {
		b.WriteString("\n:x: " + esc(l))
	}
	if l := v.NotCheckedLine(); l != "" {
		b.WriteString("\n" + esc(l))
	}
	for _, l := range v.ConfigLines(2) {
		b.WriteString("\n:label: " + esc(l))
	}
	blocks = append(blocks, contextBlock(notify.Truncate(b.String(), contextMaxChars)))
	blocks = append(blocks, contextBlock("*Scan* "+esc(v.ScanLine())))
	return blocks
}

// slackInsight is an insight's line: what, where and the title with its
// numbers, then (withAction) the suggested action; the saving always.
func (v *digestView) slackInsight(in *insights.Insight, withAction bool) string {
	who := code(digest.Subject(in))
	if in.Function == "" {
		who = "*region total*"
	}
	s := fmt.Sprintf("• %s %s — %s", who, esc(v.Location(in.Account, in.Region)), esc(notify.Truncate(notify.Clean(in.Title), digest.MaxTitleRunes)))
	sv := digest.Saving(in)
	if !withAction {
		if sv != "" {
			s += " _(" + sv + ")_"
		}
		return s
	}
	act := esc(notify.Truncate(notify.Clean(in.Action), digest.MaxActionRunes))
	if sv != "" {
		act += " _(" + sv + ")_"
	}
	if act != "" {
		s += "\n      ↳ " + act
	}
	return s
}

func severityEmoji(sev insights.Severity) string {
	switch sev {
	case insights.Critical:
		return ":red_circle:"
	case insights.Warning:
		return ":large_orange_circle:"
	}
	return ":large_blue_circle:"
}

// mrkdwnEscaper escapes the three characters mrkdwn gives a meaning to:
// <!channel>, <@U123> and <https://…|…> all start with <.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// esc makes text safe in mrkdwn: cleaned of control characters, with
// &, < and > escaped.
func esc(s string) string { return mrkdwnEscaper.Replace(notify.Clean(s)) }

// code is s as inline code (a backtick in s would end it: it becomes ').
func code(s string) string { return "`" + strings.ReplaceAll(esc(s), "`", "'") + "`" }

// mrkdwn is a verbatim mrkdwn text object: Slack does not turn bare
// URLs, #channels or @mentions in it into links or mentions.
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

func section(s string) *slack.SectionBlock { return slack.NewSectionBlock(mrkdwn(s), nil, nil) }

func contextBlock(s string) *slack.ContextBlock { return slack.NewContextBlock("", mrkdwn(s)) }

func blockSize(b slack.Block) int {
	j, err := json.Marshal(b)
	if err != nil {
		return MessageBudget // cannot happen with these block types
	}
	return len(j) + 1
}

func blocksSize(bs []slack.Block) int {
	n := 0
	for _, b := range bs {
		n += blockSize(b)
	}
	return n
}

func jsonSize(s string) int {
	j, _ := json.Marshal(s)
	return len(j)
}

// digest.View is the digest's view of the report (package digest) with
// the Block Kit rendering's methods.
type digestView struct{ *digest.View }

func newView(r *insights.Report) *digestView { return &digestView{digest.NewView(r)} }
