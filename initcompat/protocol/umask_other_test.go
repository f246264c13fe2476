//go:build !unix

package protocol

import "testing"

// setUmask: no umask to set off Unix.
func setUmask(t *testing.T, mask int) func() {
	t.Helper()
	if mask != 0 {
		t.Skip("no umask off Unix")
	}
	return func() {}
}
