package text

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/digest"
	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
)

// TestWriteTextGolden pins the terminal digest, plain and coloured.
func TestWriteTextGolden(t *testing.T) {
	empty := notifytest.LoadReport(t, "testdata/slack-report.json")
	empty.Insights, empty.Counts, empty.Summary = []insights.Insight{}, insights.Counts{}, insights.Summary{}
	empty.TopFunctions, empty.CostMovers, empty.Missing = nil, nil, nil
	empty.Coverage.RulesNotRun = 0
	cases := []struct {
		name, golden string
		r            *insights.Report
		color        bool
	}{
		{"plain", "testdata/text-digest.golden.txt", notifytest.LoadReport(t, "testdata/slack-report.json"), false},
		{"color", "testdata/text-digest-color.golden.txt", notifytest.LoadReport(t, "testdata/slack-report.json"), true},
		{"big", "testdata/text-digest-big.golden.txt", notifytest.LoadReport(t, "testdata/slack-report-big.json.gz"), false},
		{"no insights, no figures", "testdata/text-digest-empty.golden.txt", empty, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, c.r, c.color); err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, c.golden, buf.Bytes())
			if !c.color && strings.Contains(buf.String(), "\x1b") {
				t.Error("plain output with an escape sequence")
			}
		})
	}
}

// sgr matches the only escape sequences the coloured digest may hold:
// its own colours.
var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// TestWriteTextStripsControlCharacters: AWS text cannot clear the
// screen, retitle the terminal, hide a link (OSC 8), reorder a line or
// break one.
func TestWriteTextStripsControlCharacters(t *testing.T) {
	r := notifytest.HostileReport(t)
	r.Insights[5].Function = "x\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\x1b[2J\x1b]0;pwned\x07"
	r.Insights[6].Title = "line\nbreak\rreturn\x00nul\u0085next\u2066iso"
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Write(&buf, r, color); err != nil {
			t.Fatal(err)
		}
		out := sgr.ReplaceAllString(buf.String(), "")
		for _, bad := range []string{"\x1b", "\x07", "\x00", "\r", "\u0085", "\u202e", "\u2066"} {
			if strings.Contains(out, bad) {
				t.Errorf("color=%v: the digest holds %q", color, bad)
			}
		}
		for _, want := range []string{"[31mred[0mevil", "x]8;;https://evil.exampleclick]8;;[2J]0;pwned", "line break returnnulnextiso", "<!channel>"} {
			if !strings.Contains(out, want) {
				t.Errorf("color=%v: the digest does not show %q", color, want)
			}
		}
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteTextReportsWriteErrors(t *testing.T) {
	err := Write(failingWriter{}, notifytest.LoadReport(t, "testdata/slack-report.json"), false)
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("WriteText: %v, want the writer's error", err)
	}
}

func TestWrap(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		width int
		want  []string
	}{
		{"short", "a b c", 10, []string{"a b c"}},
		{"breaks at spaces", "aaa bbb ccc", 7, []string{"aaa bbb", "ccc"}},
		{"long word alone", "a bbbbbbbbbb c", 4, []string{"a", "bbbbbbbbbb", "c"}},
		{"runes, not bytes", "×××× ××××", 9, []string{"×××× ××××"}},
		{"empty", "", 10, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := wrap(c.in, c.width)
			if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
				t.Errorf("wrap(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
			}
		})
	}
}

// TestSummaryMood checks that the summary's arrows say the direction and
// the word (and colour) whether the change is good news: cost up is
// worse, errors down better, health up better, invocations neither.
func TestSummaryMood(t *testing.T) {
	f := func(v, base float64) insights.Figure {
		ch, r := v-base, (v-base)/base
		return insights.Figure{Value: &v, Baseline: &base, Change: &ch, ChangeRatio: &r}
	}
	cases := []struct {
		name      string
		row       digest.SummaryRow
		wantText  string
		wantColor string
	}{
		{"cost up is worse", digest.FigureRow("Cost of the day", ptrFig(f(20, 10)), insights.FormatUSD, -1),
			"$20.00 ▲ +100 % worse", ansiRed},
		{"cost down is better", digest.FigureRow("Cost of the day", ptrFig(f(5, 10)), insights.FormatUSD, -1),
			"$5.00 ▼ -50 % better", ansiGreen},
		{"errors down is better", digest.FigureRow("Errors", ptrFig(f(50, 100)), insights.FormatCount, -1),
			"50 ▼ -50 % better", ansiGreen},
		{"errors up is worse", digest.FigureRow("Errors", ptrFig(f(300, 100)), insights.FormatCount, -1),
			"300 ▲ +200 % worse", ansiRed},
		{"health up is better", digest.HealthRow(ptrFig(f(0.999, 0.99))),
			"99.90 % ▲ +0.90 pt better", ansiGreen},
		{"health down is worse", digest.HealthRow(ptrFig(f(0.98, 0.99))),
			"98.00 % ▼ -1.00 pt worse", ansiRed},
		{"invocations up is neither", digest.FigureRow("Invocations", ptrFig(f(200, 100)), insights.FormatCount, 0),
			"200 ▲ +100 %", ""},
		// A change too small to show (under 0.1 %) has no arrow and no mood.
		{"cost down by less than 0.1 % is neither", digest.FigureRow("Projected month", ptrFig(f(795.59, 795.6)), insights.FormatUSD, -1),
			"$795.59 ±0 %", ""},
		{"errors up by less than 0.1 % is neither", digest.FigureRow("Errors", ptrFig(f(10001, 10000)), insights.FormatCount, -1),
			"10,001 ±0 %", ""},
		{"no change is neither", digest.FigureRow("Cost of the day", ptrFig(f(10, 10)), insights.FormatUSD, -1),
			"$10.00 ±0 %", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.row.Text(); got != tc.wantText {
				t.Errorf("text %q, want %q", got, tc.wantText)
			}
			// The terminal paints the change (arrow included) by mood.
			r := &insights.Report{}
			r.Summary.Health = insights.Figure{}
			tw := &textWriter{color: true}
			v := &digest.View{Report: r, Summary: []digest.SummaryRow{tc.row}}
			tw.summary(v)
			out := tw.b.String()
			delta := tc.row.DeltaText()
			switch {
			case tc.wantColor == "" && strings.Contains(out, ansiRed+delta) || strings.Contains(out, ansiGreen+delta) && tc.wantColor == "":
				t.Errorf("a change without mood is coloured: %q", out)
			case tc.wantColor != "" && !strings.Contains(out, tc.wantColor+delta+ansiReset):
				t.Errorf("terminal %q: want %q painted %q", out, delta, tc.wantColor)
			}
		})
	}
}

func ptrFig(f insights.Figure) *insights.Figure { return &f }
