package plan

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// permute moves every element to its place, whatever the cycles of the
// permutation (fixed points, one long cycle, many short ones).
func TestPermute(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 10, 1000} {
		for round := 0; round < 20; round++ {
			order := r.Perm(n)
			xs := make([]int, n)
			for i := range xs {
				xs[i] = 100 + i
			}
			want := make([]int, n)
			for k, i := range order {
				want[k] = xs[i]
			}
			permute(xs, slices.Clone(order))
			if !slices.Equal(xs, want) {
				t.Fatalf("n=%d order %v: got %v, want %v", n, order, xs, want)
			}
		}
	}
}
