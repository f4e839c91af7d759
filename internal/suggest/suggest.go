// Package suggest finds the closest known name to a misspelt one, for the
// "did you mean" hints of configuration and bootstrap diagnostics.
package suggest

import "strings"

// Closest returns the candidate nearest to name by edit distance, ignoring
// case, or "" when none is close enough to be a plausible typo: at most a
// third of the name's length, and never more than maxDistance edits.
func Closest(name string, candidates []string) string {
	const maxDistance = 4
	limit := len(name) / 3
	if limit < 1 {
		limit = 1
	}
	if limit > maxDistance {
		limit = maxDistance
	}
	best, bestDist := "", limit+1
	lower := strings.ToLower(name)
	for _, c := range candidates {
		if d := Distance(lower, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Distance is the optimal-string-alignment distance between a and b, counted
// in bytes: insertions, deletions, substitutions and swaps of two adjacent
// characters each cost one, since swapped letters are the commonest typo.
func Distance(a, b string) int {
	if a == b {
		return 0
	}
	prevPrev := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prevPrev[j-2]+1)
			}
		}
		prevPrev, prev, cur = prev, cur, prevPrev
	}
	return prev[len(b)]
}
