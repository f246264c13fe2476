//go:build unix

package tree

import "golang.org/x/sys/unix"

// nonBlock opens a file without waiting on it: a fifo put where a
// regular file was must not hold the read.
const nonBlock = unix.O_NONBLOCK
