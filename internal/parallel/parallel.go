// Package parallel runs the independent steps of a loop on every processor
// when there are enough of them to pay for the goroutines: reading and
// parsing 10,000 services is mostly such loops.
package parallel

import (
	"runtime"

	"golang.org/x/sync/errgroup"
)

// MinPerWorker is the fewest steps worth a goroutine of their own.
const MinPerWorker = 256

// For calls f(i) for every i in [0, n) and returns the first error. The
// steps must not depend on each other; each writes only its own results.
func For(n int, f func(i int) error) error {
	if n < 2*MinPerWorker {
		for i := 0; i < n; i++ {
			if err := f(i); err != nil {
				return err
			}
		}
		return nil
	}
	return Each(n, f)
}

// Each calls f(i) for every i in [0, n) on every processor, however small
// n: for steps that each hold much work (a directory of files to create).
// It returns the first error a worker met.
func Each(n int, f func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			if err := f(i); err != nil {
				return err
			}
		}
		return nil
	}
	// Each worker takes every workers-th step and stops at its first
	// error; the first error of any is the result.
	var g errgroup.Group
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			for i := w; i < n; i += workers {
				if err := f(i); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// Run is the steps [Start, End) of a loop.
type Run struct{ Start, End int }

// Runs cuts n steps into contiguous runs, a few per processor so that one
// slow run does not hold the others up; one run when n is too small to pay
// for goroutines, or there is one processor.
func Runs(n int) []Run {
	procs := runtime.GOMAXPROCS(0)
	if n < 2*MinPerWorker || procs == 1 {
		return []Run{{0, n}}
	}
	k := min(4*procs, n/MinPerWorker)
	out := make([]Run, k)
	for i := range out {
		out[i] = Run{i * n / k, (i + 1) * n / k}
	}
	return out
}
