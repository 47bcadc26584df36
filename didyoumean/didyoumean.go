// Package didyoumean owns the "did you mean …?" of error messages: the
// valid choice nearest to a misspelt word.
package didyoumean

import (
	"strings"
	"unicode/utf8"
)

// Nearest is the choice nearest to word (case-insensitively, counting
// insertions, deletions, substitutions and swaps of adjacent letters), or
// "" when no choice is near enough to be a likely misspelling: at most a
// third of the word's letters, and at least one, may differ. Ties go to
// the earlier choice.
func Nearest(word string, choices []string) string {
	w := strings.ToLower(word)
	limit := max(1, utf8.RuneCountInString(w)/3)
	best, bestD := "", limit+1
	for _, c := range choices {
		lc := strings.ToLower(c)
		if lc == w {
			return c
		}
		if d := distance(w, lc); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance of a and b.
func distance(a, b string) int {
	r, s := []rune(a), []rune(b)
	// three rows: i-2, i-1, i
	prev2 := make([]int, len(s)+1)
	prev := make([]int, len(s)+1)
	cur := make([]int, len(s)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(r); i++ {
		cur[0] = i
		for j := 1; j <= len(s); j++ {
			cost := 1
			if r[i-1] == s[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && r[i-1] == s[j-2] && r[i-2] == s[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(s)]
}
