package insights

import (
	"math"
	"testing"
)

// TestFormattersTruncate checks every figure formatter at and just below
// the thresholds the rules and the digest use: nothing reads as having
// reached a threshold it has not.
func TestFormattersTruncate(t *testing.T) {
	cases := []struct {
		name   string
		format func(float64) string
		in     float64
		want   string
	}{
		{"factor just below the critical spike", FormatFactor, 4.99, "×4.9"},
		{"factor at the critical spike", FormatFactor, 5, "×5.0"},
		{"factor just below the warning spike", FormatFactor, 1.99, "×1.9"},
		{"factor 1.999999", FormatFactor, 1.999999, "×1.9"},
		{"factor with float noise", FormatFactor, 0.7 * 3, "×2.1"},
		{"factor of a drop", FormatFactor, 0.49, "×0.4"},
		{"factor from nothing", FormatFactor, math.Inf(1), "from nothing"},
		{"share just below a timeout's 95 %", FormatShare, 0.949, "94.9 %"},
		{"share 94.99 %", FormatShare, 0.9499, "94.9 %"},
		{"share at 95 %", FormatShare, 0.95, "95 %"},
		{"share 9.999 %", FormatShare, 0.09999, "9.9 %"},
		{"share with float noise", FormatShare, 0.1 * 3, "30 %"},
		{"share 100 %", FormatShare, 1, "100 %"},
		{"share 99.99 %", FormatShare, 0.9999, "99.9 %"},
		{"ms below a second", FormatMs, 999.9, "999 ms"},
		{"ms 9,499", FormatMs, 9499, "9.499 s"},
		{"ms 5,999.99", FormatMs, 5999.99, "5.999 s"},
		{"ms 6,000", FormatMs, 6000, "6 s"},
		{"seconds 0.9999", FormatSeconds, 0.9999, "0.999"},
		{"minutes 29.99", FormatMinutes, 29.99, "29 min"},
		{"minutes 119.99", FormatMinutes, 119.99, "1 h 59 min"},
		{"minutes 120", FormatMinutes, 120, "2 h"},
		{"dollars 9.999", FormatUSD, 9.999, "$9.99"},
		{"dollars 4.996", FormatUSD, 4.996, "$4.99"},
		{"dollars 999.99", FormatUSD, 999.99, "$999.99"},
		{"dollars 1,234.9", FormatUSD, 1234.9, "$1,234"},
		{"dollars a fraction of a cent", FormatUSD, 0.00429, "$0.0042"},
		{"dollars negative", FormatUSD, -0.4, "-$0.40"},
		{"dollars negative nothing", FormatUSD, -0.00001, "$0.0000"},
		{"dollars zero", FormatUSD, 0, "$0.00"},
		{"count 9.9", FormatCount, 9.9, "9"},
		{"count 1,500", FormatCount, 1500, "1,500"},
		{"count negative", FormatCount, -1234567, "-1,234,567"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.format(tc.in); got != tc.want {
				t.Errorf("%v reads %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    float64
		want string
	}{{0, "0 functions"}, {1, "1 function"}, {2, "2 functions"}, {1500, "1,500 functions"}} {
		if got := Plural(tc.n, "function", "functions"); got != tc.want {
			t.Errorf("Plural(%v) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
