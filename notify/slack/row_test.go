package slack

import (
	"testing"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/digest"
)

// TestSummaryMoodMrkdwn checks that the message's summary arrows say the
// direction and the word and emoji whether the change is good news: cost
// up is worse, errors down better, health up better, invocations neither.
func TestSummaryMoodMrkdwn(t *testing.T) {
	f := func(v, base float64) insights.Figure {
		ch, r := v-base, (v-base)/base
		return insights.Figure{Value: &v, Baseline: &base, Change: &ch, ChangeRatio: &r}
	}
	cases := []struct {
		name      string
		row       digest.SummaryRow
		wantSlack string
	}{
		{"cost up is worse", digest.FigureRow("Cost of the day", ptrFig(f(20, 10)), insights.FormatUSD, -1),
			"$20.00 :small_red_triangle: +100 % _worse_"},
		{"cost down is better", digest.FigureRow("Cost of the day", ptrFig(f(5, 10)), insights.FormatUSD, -1),
			"$5.00 ▼ -50 % :white_check_mark: _better_"},
		{"errors down is better", digest.FigureRow("Errors", ptrFig(f(50, 100)), insights.FormatCount, -1),
			"50 ▼ -50 % :white_check_mark: _better_"},
		{"errors up is worse", digest.FigureRow("Errors", ptrFig(f(300, 100)), insights.FormatCount, -1),
			"300 :small_red_triangle: +200 % _worse_"},
		{"health up is better", digest.HealthRow(ptrFig(f(0.999, 0.99))),
			"99.90 % ▲ +0.90 pt :white_check_mark: _better_"},
		{"health down is worse", digest.HealthRow(ptrFig(f(0.98, 0.99))),
			"98.00 % :small_red_triangle_down: -1.00 pt _worse_"},
		{"invocations up is neither", digest.FigureRow("Invocations", ptrFig(f(200, 100)), insights.FormatCount, 0),
			"200 ▲ +100 %"},
		// A change too small to show (under 0.1 %) has no arrow and no mood.
		{"cost down by less than 0.1 % is neither", digest.FigureRow("Projected month", ptrFig(f(795.59, 795.6)), insights.FormatUSD, -1),
			"$795.59 ±0 %"},
		{"errors up by less than 0.1 % is neither", digest.FigureRow("Errors", ptrFig(f(10001, 10000)), insights.FormatCount, -1),
			"10,001 ±0 %"},
		{"no change is neither", digest.FigureRow("Cost of the day", ptrFig(f(10, 10)), insights.FormatUSD, -1),
			"$10.00 ±0 %"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := rowMrkdwn(tc.row); got != tc.wantSlack {
				t.Errorf("Slack %q, want %q", got, tc.wantSlack)
			}
		})
	}
}

func ptrFig(f insights.Figure) *insights.Figure { return &f }
