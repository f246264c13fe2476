//go:build !race

package provisioner

const raceOn = false
