//go:build !unix

package provisioner

import "os/exec"

// ownGroup leaves cmd as it is: without process groups, the context kills
// the command itself.
func ownGroup(*exec.Cmd) {}

func killGroup(*exec.Cmd) {}
