//go:build unix

package protocol

import (
	"syscall"
	"testing"
)

// setUmask sets the process's umask to mask (0 leaves it) and returns
// what puts the old one back. The umask is the process's: the tests that
// set it do not run in parallel.
func setUmask(t *testing.T, mask int) func() {
	t.Helper()
	if mask == 0 {
		return func() {}
	}
	old := syscall.Umask(mask)
	return func() { syscall.Umask(old) }
}
