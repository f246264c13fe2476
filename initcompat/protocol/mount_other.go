//go:build !linux

package protocol

import (
	"io/fs"
	"os"
)

// mountOf identifies the file system holding a directory: st_dev outside
// Linux (no mount IDs to ask for).
func mountOf(_ *os.Root, _ string, fi fs.FileInfo) uint64 { return devOf(fi) }
