package didyoumean

import (
	"fmt"
	"testing"
)

func TestNearest(t *testing.T) {
	keys := []string{"regions", "accounts", "role", "rateFraction", "logsBudgetUSD", "days", "day"}
	tests := []struct {
		name, word, want string
	}{
		{"missing letter", "region", "regions"},
		{"swapped letters", "regoins", "regions"},
		{"case", "RATEFRACTION", "rateFraction"},
		{"exact", "days", "days"},
		{"nothing near", "colour", ""},
		{"short word, one edit", "rol", "role"},
		{"tie goes to the earlier choice", "dayz", "days"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Nearest(tt.word, keys); got != tt.want {
				t.Errorf("Nearest(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}

func ExampleNearest() {
	fmt.Println(Nearest("region", []string{"accounts", "regions", "role"}))
	// Output: regions
}
