package digest

import (
	"testing"

	"github.com/lambdaudit/lambdaudit/insights"
)

// TestFormatting pins the digest's figures, at and just below the
// thresholds: nothing is rounded up across one (docs/report.md).
func TestFormatting(t *testing.T) {
	cases := []struct{ name, got, want string }{
		{"usd truncated", fmtUSD(48.415691), "$48.41"},
		{"usd just below ten", fmtUSD(9.999), "$9.99"},
		{"usd thousands truncated", fmtUSD(1729.91), "$1,729"},
		{"usd small", fmtUSD(0.0042), "$0.0042"},
		{"usd negative", fmtUSD(-2.6), "-$2.60"},
		{"signed usd", fmtSignedUSD(2.6), "+$2.60"},
		{"count", fmtCount(5292820), "5,292,820"},
		{"factor just below ×5", fmtRatio(4.99), "×4.9"},
		{"factor just below ×2", fmtRatio(1.99), "×1.9"},
		{"factor at ×2", fmtRatio(2), "×2.0"},
		{"health truncated", fmtHealth(0.999969), "99.99 %"},
		{"health just below 100 %", fmtHealth(0.99999), "99.99 %"},
		{"health change truncated", fmtHealthChange(0.0299), "+0.02 pt"},
		{"health change tiny", fmtHealthChange(-0.004), "±0 pt"},
		{"change big truncated", fmtRatioChange(1.655945), "+165 %"},
		{"change just below +100 %", fmtRatioChange(0.9999), "+99 %"},
		{"change just below +10 %", fmtRatioChange(0.09999), "+9.9 %"},
		{"change small", fmtRatioChange(-0.045), "-4.5 %"},
		{"change nil", fmtRatioChange(0.0001), "±0 %"},
		{"bytes truncated (MB of 2^20)", fmtBytes(922947818), "880 MB"},
		{"bytes just below a GB of 2^30", fmtBytes(1<<30 - 1<<19), "1023 MB"},
		{"bytes GB of 2^30, truncated", fmtBytes(20.79e9), "19.3 GB"},
		{"mover just below ×2", MoverLine(&insights.CostMover{ChangeUSD: 0.99, CostUSD: 1.99, BaselineUSD: fp64(1), Ratio: fp64(1.99)}), "+$0.99/day (×1.9) → $1.99"},
		{"mover just below ×5", MoverLine(&insights.CostMover{ChangeUSD: 3.99, CostUSD: 4.99, BaselineUSD: fp64(1), Ratio: fp64(4.99)}), "+$3.99/day (×4.9) → $4.99"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
}

func fp64(v float64) *float64 { return &v }

// TestCostRowSaysWhenPartlyPriced: the cost of the day leaves out invoked
// functions the cost model could not price, and its row says so; a
// fully priced fleet's row carries no note.
func TestCostRowSaysWhenPartlyPriced(t *testing.T) {
	v := 12.5
	tests := []struct {
		name            string
		priced, invoked int
		wantNote        string
	}{
		{"fully priced", 40, 40, ""},
		{"one function without a price", 39, 40, "priced for 39 of 40 invoked functions"},
		{"thousands", 1199, 1200, "priced for 1,199 of 1,200 invoked functions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cost := insights.Figure{Value: &v, Functions: tt.priced}
			inv := insights.Figure{Value: fp64(1000), Functions: tt.invoked}
			row := pricedRow(FigureRow("Cost of the day", &cost, fmtUSD, -1), &cost, &inv)
			if row.Note != tt.wantNote {
				t.Errorf("note %q, want %q", row.Note, tt.wantNote)
			}
		})
	}
}
