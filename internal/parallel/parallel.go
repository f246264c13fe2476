// Package parallel runs the independent steps of a loop on every processor
// when there are enough of them to pay for the goroutines: reading and
// parsing 10,000 services is mostly such loops.
package parallel

import (
	"errors"
	"runtime"
	"sync"
)

// MinPerWorker is the fewest steps worth a goroutine of their own.
const MinPerWorker = 256

// For calls f(i) for every i in [0, n) and returns the errors joined. The
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
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if errs[w] = f(i); errs[w] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
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
