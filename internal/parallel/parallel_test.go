package parallel

import (
	"errors"
	"sync/atomic"
	"testing"
)

func TestForVisitsEachStepOnce(t *testing.T) {
	for _, n := range []int{0, 1, MinPerWorker - 1, 10 * MinPerWorker} {
		seen := make([]int32, n)
		if err := For(n, func(i int) error { atomic.AddInt32(&seen[i], 1); return nil }); err != nil {
			t.Fatal(err)
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: step %d ran %d times", n, i, c)
			}
		}
	}
}

func TestForReturnsAnError(t *testing.T) {
	bad := errors.New("step 700 failed")
	err := For(10*MinPerWorker, func(i int) error {
		if i == 700 {
			return bad
		}
		return nil
	})
	if !errors.Is(err, bad) {
		t.Fatalf("err = %v, want %v", err, bad)
	}
}
