//go:build !unix

package tree

import (
	"io"
	"io/fs"
	"os"
)

// listDir lists the directory d, opened in an os.Root, which gives each
// entry's type and Info: at most limit entries (errTooLong past them).
func listDir(d *os.File, limit int) ([]fs.DirEntry, error) { return listLimited(d.ReadDir, limit) }

// dirPerm gives the permission bits of the directory name in dir.
func dirPerm(dir *os.Root, _ *os.File, name string) (fs.FileMode, error) {
	fi, err := dir.Lstat(name)
	if err != nil {
		return 0, err
	}
	return fi.Mode() & fs.ModePerm, nil
}

// readRegular reads the file name in dir through os.Root.
func readRegular(dir *os.Root, _ *os.File, name string, maxSize int64) (regular, error) {
	f, err := dir.Open(name)
	if err != nil {
		return regular{}, err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return regular{}, err
	}
	if !fi.Mode().IsRegular() {
		return regular{}, nil
	}
	r := regular{regular: true, mode: fi.Mode() & fs.ModePerm, size: fi.Size()}
	if r.size > maxSize {
		return r, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return regular{}, err
	}
	r.size = int64(len(data))
	if r.size <= maxSize {
		r.data = data
	}
	return r, nil
}

// readLink reads the target of the link name in dir.
func readLink(dir *os.Root, _ *os.File, name string) (string, error) { return dir.Readlink(name) }
