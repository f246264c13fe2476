//go:build unix

package provisioner

import (
	"os"
	"syscall"
)

// openNonBlocking opens a file for reading without waiting for a writer:
// open(2) of a FIFO with O_RDONLY blocks until one comes, with O_NONBLOCK
// it returns at once, and the file's type is then seen before any read.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
