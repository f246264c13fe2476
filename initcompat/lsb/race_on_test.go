//go:build race

package lsb

// raceOn: the race detector slows the reader about tenfold.
const raceOn = true
