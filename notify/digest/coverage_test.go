package digest

import "testing"

// TestSharePct: the share not covered is truncated, never rounded up
// across a threshold.
func TestSharePct(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n, total int
		want     string
	}{
		{"none", 0, 10, "0 %"},
		{"a few", 1, 1000, "<1 %"},
		{"a third", 750, 2250, "33 %"},
		{"all but one", 2249, 2250, "99 %"},
		{"all", 2250, 2250, "100 %"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sharePct(tc.n, tc.total); got != tc.want {
				t.Errorf("sharePct(%d, %d) = %q, want %q", tc.n, tc.total, got, tc.want)
			}
		})
	}
}
