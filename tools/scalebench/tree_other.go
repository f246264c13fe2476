//go:build !linux && !windows

package main

// sampleTree needs Linux's /proc: elsewhere it reports no figure (-1).
func sampleTree(_ int, stop <-chan struct{}) <-chan int {
	peak := make(chan int, 1)
	go func() { <-stop; peak <- -1 }()
	return peak
}
