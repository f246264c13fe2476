//go:build !unix

package provisioner

import (
	"fmt"
	"os"
)

// openNonBlocking opens a regular file for reading; anything else is
// refused before it is opened.
func openNonBlocking(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: a template is read from a file", path)
	}
	return os.Open(path)
}
