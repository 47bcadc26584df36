package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/digest"
	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
)

// testCSVURL is a presigned-looking link: its & must reach Slack as &amp;.
const testCSVURL = "https://lambdaudit-results.s3.eu-west-1.amazonaws.com/2026-11-20/report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=0123abcd"

// TestDigestGolden pins the Block Kit payloads: the small report as an
// incoming webhook posts it (no thread, "see the CSV" linked), and the
// big one as the bot posts it (message and thread).
func TestDigestGolden(t *testing.T) {
	cases := []struct {
		name, report, golden string
		opt                  DigestOptions
		cfg                  Config
	}{
		{"webhook", "testdata/slack-report.json", "testdata/slack-digest.golden.json",
			DigestOptions{CSVURL: testCSVURL}, Config{WebhookURL: "https://hooks.slack.com/services/T0/B0/secret"}},
		{"bot with thread", "testdata/slack-report-big.json.gz", "testdata/slack-digest-big-thread.golden.json",
			DigestOptions{CSVURL: testCSVURL, Thread: true}, Config{BotToken: "xoxb-1-secret", Channel: "C0LAMBDA"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Digest(notifytest.LoadReport(t, c.report), c.opt)
			b, err := Payload(m, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, c.golden, b)
		})
	}
}

// messageStats measures a message as Slack will: its blocks, its
// section texts, and its JSON.
type messageStats struct {
	blocks, bytes, longestSection int
}

// checkMessage fails the test for any of Slack's limits the message
// breaks, and returns its figures.
func checkMessage(t *testing.T, what string, m Message) messageStats {
	t.Helper()
	j, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	st := messageStats{blocks: len(m.Blocks), bytes: len(j) + jsonSize(m.Text)}
	if st.blocks > MaxBlocks {
		t.Errorf("%s: %d blocks, Slack allows %d", what, st.blocks, MaxBlocks)
	}
	if st.bytes > MessageBudget {
		t.Errorf("%s: %d bytes of JSON, over the budget of %d", what, st.bytes, MessageBudget)
	}
	if m.Text == "" {
		t.Errorf("%s: no fallback text", what)
	}
	for i, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if n := utf8.RuneCountInString(b.Text.Text); n > MaxHeaderChars || b.Text.Type != slack.PlainTextType {
				t.Errorf("%s: block %d: header of %d chars (%s)", what, i, n, b.Text.Type)
			}
		case *slack.SectionBlock:
			if b.Text != nil {
				n := utf8.RuneCountInString(b.Text.Text)
				st.longestSection = max(st.longestSection, n)
				if n > MaxSectionChars {
					t.Errorf("%s: block %d: section of %d chars", what, i, n)
				}
			}
			if len(b.Fields) > 10 {
				t.Errorf("%s: block %d: %d fields, Slack allows 10", what, i, len(b.Fields))
			}
			for _, f := range b.Fields {
				if n := utf8.RuneCountInString(f.Text); n > 2000 {
					t.Errorf("%s: block %d: field of %d chars", what, i, n)
				}
			}
		case *slack.ContextBlock:
			if n := len(b.ContextElements.Elements); n > 10 {
				t.Errorf("%s: block %d: %d context elements", what, i, n)
			}
			for _, e := range b.ContextElements.Elements {
				if to, ok := e.(*slack.TextBlockObject); ok && utf8.RuneCountInString(to.Text) > contextMaxChars {
					t.Errorf("%s: block %d: context text of %d chars", what, i, utf8.RuneCountInString(to.Text))
				}
			}
		case *slack.DividerBlock:
		default:
			t.Errorf("%s: block %d: unexpected %T", what, i, b)
		}
	}
	return st
}

// hugeReport is the big report with AWS text at its worst: every name,
// title and action kilobytes long.
func hugeReport(t *testing.T) *insights.Report {
	r := notifytest.LoadReport(t, "testdata/slack-report-big.json.gz")
	long := strings.Repeat("a-very-long-name-", 300)
	for i := range r.Insights {
		in := &r.Insights[i]
		if in.Function != "" {
			in.Function = fmt.Sprintf("%s%d", long, i)
		}
		in.Title = strings.Repeat(in.Title+" ", 40)
		in.Action = strings.Repeat("<&> "+in.Action, 40)
	}
	for i := range r.TopFunctions {
		r.TopFunctions[i].Name = long
	}
	for i := range r.CostMovers {
		r.CostMovers[i].Name = long
	}
	r.Coverage.FailedTargets = append(r.Coverage.FailedTargets, insights.FailedTarget{Account: "333333333333", Region: "ap-east-1", Error: strings.Repeat("AccessDenied <&> ", 2000)})
	r.Coverage.Reasons = map[string]int{strings.Repeat("metrics: throttled ", 500): 3}
	r.Missing = append(r.Missing, insights.Missing{Reason: strings.Repeat("logs: over the budget ", 400), Rules: []string{"timeouts"}, Count: 7})
	r.Coverage.RulesNotRun += 7
	for i := 0; i < 40; i++ {
		r.ConfigProblems = append(r.ConfigProblems, insights.ConfigProblem{Function: long, Tag: "lambdaudit:" + long, Value: long, Problem: long})
	}
	return r
}

// TestDigestLimits holds every message of the digest to Slack's limits,
// on reports with hundreds of insights, and accounts for every insight:
// listed in the message or the thread, or counted in the overflow note.
func TestDigestLimits(t *testing.T) {
	big := notifytest.LoadReport(t, "testdata/slack-report-big.json.gz")
	if len(big.Insights) < 300 {
		t.Fatalf("the big report has %d insights; the test needs hundreds", len(big.Insights))
	}
	empty := notifytest.LoadReport(t, "testdata/slack-report.json")
	empty.Insights, empty.Counts = []insights.Insight{}, insights.Counts{}
	empty.Summary = insights.Summary{}
	empty.TopFunctions, empty.CostMovers = nil, nil
	cases := []struct {
		name string
		r    *insights.Report
		opt  DigestOptions
	}{
		{"small webhook", notifytest.LoadReport(t, "testdata/slack-report.json"), DigestOptions{}},
		{"small bot", notifytest.LoadReport(t, "testdata/slack-report.json"), DigestOptions{Thread: true}},
		{"big webhook", big, DigestOptions{CSVURL: testCSVURL}},
		{"big bot", big, DigestOptions{CSVURL: testCSVURL, Thread: true}},
		{"big bot, 200 insights asked in the message", big, DigestOptions{Thread: true, MaxInsights: 200, MaxReplies: 50, Top: 50}},
		{"huge AWS text webhook", hugeReport(t), DigestOptions{CSVURL: testCSVURL, MaxInsights: 100}},
		{"huge AWS text bot", hugeReport(t), DigestOptions{CSVURL: testCSVURL, Thread: true, MaxReplies: 20}},
		{"no insights, no figures", empty, DigestOptions{Thread: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Digest(c.r, c.opt)
			st := checkMessage(t, "message", m.Message)
			sizes := []int{st.bytes}
			for i, r := range m.Thread {
				sizes = append(sizes, checkMessage(t, fmt.Sprintf("reply %d", i+1), r).bytes)
			}
			if !c.opt.Thread && len(m.Thread) > 0 {
				t.Errorf("%d thread replies without Thread", len(m.Thread))
			}
			if max := c.opt.withDefaults().MaxReplies; len(m.Thread) > max {
				t.Errorf("%d thread replies, more than %d", len(m.Thread), max)
			}
			if m.Listed+m.Overflow != len(c.r.Insights) {
				t.Errorf("listed %d + overflow %d != %d insights", m.Listed, m.Overflow, len(c.r.Insights))
			}
			// Every insight listed is one bullet.
			bullets := 0
			for _, msg := range append([]Message{m.Message}, m.Thread...) {
				for _, b := range msg.Blocks {
					if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil && !strings.HasPrefix(s.Text.Text, "*Biggest movers*") {
						bullets += strings.Count("\n"+s.Text.Text, "\n• ")
					}
				}
			}
			if bullets != m.Listed {
				t.Errorf("%d insight bullets, Listed says %d", bullets, m.Listed)
			}
			all := allText(m)
			if m.Overflow > 0 {
				want := fmt.Sprintf("…and %s", digest.Plural(m.Overflow, "more insight", "more insights"))
				if !strings.Contains(all, want) {
					t.Errorf("no %q in the digest", want)
				}
				if c.opt.CSVURL != "" && !strings.Contains(all, "|see the CSV>") {
					t.Error("the overflow note does not link the CSV")
				}
			}
			t.Logf("%d insights: %d listed (%d in the message), %d to the CSV; %d replies; sizes %v bytes; longest section %d chars",
				len(c.r.Insights), m.Listed, m.Listed-countThreadListed(m), m.Overflow, len(m.Thread), sizes, st.longestSection)
		})
	}
}

func countThreadListed(m DigestMessage) int {
	n := 0
	for _, r := range m.Thread {
		for _, b := range r.Blocks {
			if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil {
				n += strings.Count("\n"+s.Text.Text, "\n• ")
			}
		}
	}
	return n
}

// allText is every text of a digest, its thread included.
func allText(m DigestMessage) string {
	b, _ := json.Marshal(m)
	var texts []string
	collectTexts(b, &texts)
	return strings.Join(texts, "\n")
}

// collectTexts gathers the "text" strings of a JSON document.
func collectTexts(b []byte, out *[]string) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "text" {
					*out = append(*out, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
}

// TestDigestEscapesAWSText: a function named <!channel> or
// <https://evil|click> is shown as text, never a mention or a link; the
// only link of the digest is the CSV's.
func TestDigestEscapesAWSText(t *testing.T) {
	for _, thread := range []bool{false, true} {
		t.Run(fmt.Sprintf("thread=%v", thread), func(t *testing.T) {
			m := Digest(notifytest.HostileReport(t), DigestOptions{CSVURL: testCSVURL, Thread: thread, MaxInsights: 5})
			all := allText(m)
			for _, s := range []string{"<!", "<@", "<#", "<https://evil", "\x1b", "\u202e"} {
				if strings.Contains(all, s) {
					t.Errorf("the digest contains %q", s)
				}
			}
			for _, want := range []string{"&lt;!channel&gt;", "&lt;https://evil.example|click&gt;", "&lt;@U0ADMIN&gt; &amp; &lt;!here&gt;",
				"&lt;!everyone&gt;", "&lt;#C0GENERAL&gt;", "&lt;!subteam^S0ADMINS&gt;", "`a'b*c_d~e`"} {
				if !strings.Contains(all, want) {
					t.Errorf("the digest does not show %q", want)
				}
			}
			// Every < that is left opens the CSV link.
			for _, i := range regexp.MustCompile(`<`).FindAllStringIndex(all, -1) {
				if !strings.HasPrefix(all[i[0]:], "<https://lambdaudit-results.s3.eu-west-1.amazonaws.com/") {
					t.Errorf("a < that is not the CSV link: %q", all[i[0]:min(len(all), i[0]+40)])
				}
			}
			// mrkdwn objects are verbatim: no auto-linking of names.
			b, _ := json.Marshal(m)
			if n := strings.Count(string(b), `"type":"mrkdwn"`); n == 0 || n != strings.Count(string(b), `"verbatim":true`) {
				t.Errorf("%d mrkdwn objects, %d verbatim", n, strings.Count(string(b), `"verbatim":true`))
			}
		})
	}
}

func TestEsc(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "checkout-api", "checkout-api"},
		{"mention", "<!channel>", "&lt;!channel&gt;"},
		{"link", "<https://evil|click>", "&lt;https://evil|click&gt;"},
		{"ampersand first", "&lt;", "&amp;lt;"},
		{"control characters", "a\x1b[2Jb\x00c\td\ne\u0085f", "a[2Jbc d ef"},
		{"bidi override", "abc\u202edcba", "abcdcba"},
		{"invalid UTF-8", "a\xffb", "a\ufffdb"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := esc(c.in); got != c.want {
				t.Errorf("esc(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestSlackLink(t *testing.T) {
	cases := []struct{ name, url, want string }{
		{"presigned", "https://b.s3.amazonaws.com/r.csv?a=1&b=2", "<https://b.s3.amazonaws.com/r.csv?a=1&amp;b=2|see the CSV>"},
		{"pipe and brackets", "https://x.example/a|b>c", "<https://x.example/a%7Cb%3Ec|see the CSV>"},
		{"not http", "javascript:alert(1)", ""},
		{"relative", "report.csv", ""},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := slackLink(c.url, "see the CSV"); got != c.want {
				t.Errorf("slackLink(%q) = %q, want %q", c.url, got, c.want)
			}
		})
	}
}

// TestDigestOverflowNotes: a webhook's message points to the CSV; the
// bot's points to its thread, whose last reply points to the CSV when
// the thread is full too.
func TestDigestOverflowNotes(t *testing.T) {
	big := notifytest.LoadReport(t, "testdata/slack-report-big.json.gz")
	small := notifytest.LoadReport(t, "testdata/slack-report.json")
	few := notifytest.LoadReport(t, "testdata/slack-report.json")
	few.Insights = few.Insights[:8]
	cases := []struct {
		name            string
		r               *insights.Report
		opt             DigestOptions
		message, thread string // substrings of the message's note and the last reply's
		replies         int
	}{
		{"webhook", big, DigestOptions{}, "more insights (176 critical, 172 warnings, 144 info) — see the CSV report.", "", 0},
		{"bot, thread holds the rest", small, DigestOptions{Thread: true}, ":thread: …and 11 more insights (6 warnings, 5 info) in the thread.", "", 1},
		{"bot, thread full", big, DigestOptions{Thread: true, CSVURL: testCSVURL}, "in the thread, the other", "|see the CSV>.", DefaultDigestReplies},
		{"everything fits", few, DigestOptions{MaxInsights: 30}, "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Digest(c.r, c.opt)
			if len(m.Thread) != c.replies {
				t.Fatalf("%d replies, want %d", len(m.Thread), c.replies)
			}
			msg := allText(DigestMessage{Message: m.Message})
			if c.message == "" && strings.Contains(msg, "more insight") {
				t.Errorf("an overflow note, yet everything fits")
			}
			if !strings.Contains(msg, c.message) {
				t.Errorf("the message has no %q", c.message)
			}
			if c.thread != "" {
				last := allText(DigestMessage{Message: m.Thread[len(m.Thread)-1]})
				if !strings.Contains(last, c.thread) {
					t.Errorf("the last reply has no %q", c.thread)
				}
			}
		})
	}
}

// TestSlackPayloadHoldsNoSecret: slack.json names the mode and the
// channel, never the webhook URL or the token.
func TestSlackPayloadHoldsNoSecret(t *testing.T) {
	m := Digest(notifytest.LoadReport(t, "testdata/slack-report.json"), DigestOptions{Thread: true})
	cases := []struct {
		name, mode, channel string
		cfg                 Config
	}{
		{"none", "none", "", Config{}},
		{"webhook", Webhook, "", Config{WebhookURL: "https://hooks.slack.com/services/T0/B0/s3cr3tW3bh00k"}},
		{"bot", Bot, "C0LAMBDA", Config{BotToken: "xoxb-1-s3cr3tT0k3n", Channel: "C0LAMBDA"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Payload(m, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("s3cr3t")) {
				t.Error("slack.json holds a secret")
			}
			var p struct {
				Mode, Channel, Text string
				Blocks              []json.RawMessage
				Thread              []json.RawMessage
			}
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			if p.Mode != c.mode || p.Channel != c.channel || p.Text != m.Text || len(p.Blocks) != len(m.Blocks) || len(p.Thread) != len(m.Thread) {
				t.Errorf("payload mode %q channel %q, %d blocks, %d replies", p.Mode, p.Channel, len(p.Blocks), len(p.Thread))
			}
		})
	}
}
