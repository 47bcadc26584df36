// Package didyoumean suggests the nearest valid word for a misspelt one, so a
// configuration error can say "did you mean 'threshold'?" instead of listing
// every choice.
package didyoumean

import "strings"

// Nearest returns the choice closest to word by Levenshtein distance (compared
// case-insensitively), or "" when no choice is close enough. A choice is close
// enough when its distance is at most 2 or at most a third of the length of
// word, whichever is larger. Ties go to the earlier choice, so callers that want
// a stable answer pass their choices in a stable order.
func Nearest(word string, choices []string) string {
	w := strings.ToLower(word)
	limit := max(2, len([]rune(w))/3)
	best, bestDist := "", limit+1
	for _, c := range choices {
		d := distance(w, strings.ToLower(c))
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the Levenshtein edit distance between a and b, counted in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
