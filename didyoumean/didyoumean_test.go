package didyoumean

import "testing"

func TestNearest(t *testing.T) {
	choices := []string{"threshold", "regions", "accounts", "days", "rateFraction", "logBudgetUSD"}
	tests := []struct {
		name string
		word string
		want string
	}{
		{"one letter doubled", "threshhold", "threshold"},
		{"singular for plural", "region", "regions"},
		{"case differs", "ratefraction", "rateFraction"},
		{"exact", "days", "days"},
		{"two edits in a short word", "dys", "days"},
		{"third of a long word", "logBudgetDollars", ""},
		{"transposition counts two", "acocunts", "accounts"},
		{"nothing close", "colour", ""},
		{"empty word", "", ""},
		{"three edits in a long word is a third", "rateFractoinXX", "rateFraction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Nearest(tt.word, choices); got != tt.want {
				t.Errorf("Nearest(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}

func TestNearestNoChoices(t *testing.T) {
	if got := Nearest("anything", nil); got != "" {
		t.Errorf("Nearest with no choices = %q, want empty", got)
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"flaw", "lawn", 2},
		{"héllo", "hello", 1},
	}
	for _, tt := range tests {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
