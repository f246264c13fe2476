//go:build !unix

package protocol

import "os"

// Alive says whether a process exists. Outside Unix, FindProcess opens the
// process, which fails when there is none.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}
