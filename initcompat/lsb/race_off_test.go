//go:build !race

package lsb

const raceOn = false
