//go:build unix

package protocol

import (
	"io/fs"
	"os"
	"syscall"
)

// readFlags open a file of the image without following a link at its end
// (a journal linked to /dev/zero) and without blocking (a FIFO).
const readFlags = os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// devOf is the device holding fi: a mount point is where it changes.
func devOf(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev) //nolint:unconvert // int32 on darwin
	}
	return 0
}
