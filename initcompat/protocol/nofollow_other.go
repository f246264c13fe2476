//go:build !unix

package protocol

import (
	"io/fs"
	"os"
)

// readFlags: outside Unix, os.Root's own checks stand (no O_NOFOLLOW).
const readFlags = os.O_RDONLY

// devOf: one device for all outside Unix (no st_dev to compare).
func devOf(fs.FileInfo) uint64 { return 0 }
