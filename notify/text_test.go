package notify

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/lambdaudit/lambdaudit/insights"
)

// TestWriteTextGolden pins the terminal digest, plain and coloured.
func TestWriteTextGolden(t *testing.T) {
	empty := loadReport(t, "testdata/slack-report.json")
	empty.Insights, empty.Counts, empty.Summary = []insights.Insight{}, insights.Counts{}, insights.Summary{}
	empty.TopFunctions, empty.CostMovers, empty.Missing = nil, nil, nil
	empty.Coverage.RulesNotRun = 0
	cases := []struct {
		name, golden string
		r            *insights.Report
		color        bool
	}{
		{"plain", "testdata/text-digest.golden.txt", loadReport(t, "testdata/slack-report.json"), false},
		{"color", "testdata/text-digest-color.golden.txt", loadReport(t, "testdata/slack-report.json"), true},
		{"big", "testdata/text-digest-big.golden.txt", loadReport(t, "testdata/slack-report-big.json.gz"), false},
		{"no insights, no figures", "testdata/text-digest-empty.golden.txt", empty, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteText(&buf, c.r, c.color); err != nil {
				t.Fatal(err)
			}
			golden(t, c.golden, buf.Bytes())
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
	r := hostileReport(t)
	r.Insights[5].Function = "x\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\x1b[2J\x1b]0;pwned\x07"
	r.Insights[6].Title = "line\nbreak\rreturn\x00nul\u0085next\u2066iso"
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := WriteText(&buf, r, color); err != nil {
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
	err := WriteText(failingWriter{}, loadReport(t, "testdata/slack-report.json"), false)
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

func TestFormatting(t *testing.T) {
	cases := []struct{ name, got, want string }{
		{"usd", fmtUSD(48.415691), "$48.42"},
		{"usd thousands", fmtUSD(1729.21), "$1,729"},
		{"usd small", fmtUSD(0.0042), "$0.0042"},
		{"usd negative", fmtUSD(-2.6), "-$2.60"},
		{"signed usd", fmtSignedUSD(2.6), "+$2.60"},
		{"count", fmtCount(5292820), "5,292,820"},
		{"health truncated", fmtHealth(0.999969), "99.99 %"},
		{"change big", fmtRatioChange(1.655945), "+166 %"},
		{"change small", fmtRatioChange(-0.045), "-4.5 %"},
		{"change nil", fmtRatioChange(0.0001), "±0 %"},
		{"bytes", fmtBytes(922947818), "880 MB"},
		{"bytes GB (2^30)", fmtBytes(20.7e9), "19.3 GB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
}
