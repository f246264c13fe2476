//go:build unix

package protocol

import (
	"errors"
	"syscall"
)

// Alive says whether a process exists (EPERM: it does, as another user's).
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
