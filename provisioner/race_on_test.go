//go:build race

package provisioner

// raceOn: the race detector slows the planner about tenfold.
const raceOn = true
