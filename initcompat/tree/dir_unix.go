//go:build unix

package tree

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// listDir lists the directory d with the types getdents gives, at most
// limit entries (errTooLong past them). A File
// opened in an os.Root lstats every entry as it lists (Go's os does not
// trust the lazy path-based Info there), which was a third of the time of
// a 10,000-service snapshot; a duplicate of its descriptor opened as a
// plain File takes the types from the listing and, where the filesystem
// gives none, asks fstatat on that descriptor (never a path).
func listDir(d *os.File, limit int) ([]fs.DirEntry, error) {
	dup := -1
	if err := atFD(d, "dup", d.Name(), func(dfd int) (err error) {
		dup, err = unix.Dup(dfd)
		return err
	}); err != nil {
		return nil, err
	}
	unix.CloseOnExec(dup)
	plain := os.NewFile(uintptr(dup), d.Name())
	defer func() { _ = plain.Close() }()
	return listLimited(plain.ReadDir, limit)
}

// dirPerm gives the permission bits of the directory name in d: by
// fstatat on d's descriptor, as a DirEntry from listDir must not be asked
// its Info (that would look the path up from the working directory).
func dirPerm(_ *os.Root, d *os.File, name string) (fs.FileMode, error) {
	var st unix.Stat_t
	if err := atFD(d, "fstatat", name, func(dfd int) error {
		return unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	}); err != nil {
		return 0, err
	}
	return fs.FileMode(st.Mode) & fs.ModePerm, nil
}

// readRegular reads the file name in the directory d. The name comes from
// d's own listing, so it is a single component; opened with O_NOFOLLOW
// relative to d's descriptor, it cannot leave the image, which is what
// dir (an os.Root) guarantees for everything else. The direct calls cost
// four system calls per file where os.Root.Open and os.File cost ten (the
// poller's fcntl and epoll_ctl are useless on a regular file).
// O_NONBLOCK: a fifo put in the file's place since the listing must not
// block the build.
func readRegular(_ *os.Root, d *os.File, name string, maxSize int64) (regular, error) {
	fd := -1
	if err := atFD(d, "openat", name, func(dfd int) (err error) {
		fd, err = openat(dfd, name)
		return err
	}); err != nil {
		return regular{}, err
	}
	defer func() { _ = unix.Close(fd) }()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return regular{}, &fs.PathError{Op: "fstat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return regular{}, nil
	}
	r := regular{regular: true, mode: fs.FileMode(st.Mode) & fs.ModePerm, size: st.Size}
	if r.size > maxSize {
		return r, nil
	}
	// One byte more than the size: a read that fills it means the file
	// grew, and the loop reads on up to the cap.
	buf := make([]byte, 0, r.size+1)
	for {
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return regular{}, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		want := cap(buf) - len(buf)
		buf = buf[:len(buf)+n]
		// A short read of a regular file is its end (read(2)); at the size
		// fstat gave, asking again for the EOF would cost a call per file.
		if n == 0 || int64(len(buf)) > maxSize || (n < want && int64(len(buf)) == st.Size) {
			break
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
	if int64(len(buf)) > maxSize {
		r.size, r.data = int64(len(buf)), nil
		return r, nil
	}
	r.size, r.data = int64(len(buf)), buf
	return r, nil
}

// atFD calls f with d's descriptor, which stays open meanwhile; an error
// of f's is reported as op on name.
func atFD(d *os.File, op, name string, f func(dfd int) error) error {
	rc, err := d.SyscallConn()
	if err != nil {
		return err
	}
	if cerr := rc.Control(func(dfd uintptr) { err = f(int(dfd)) }); cerr != nil {
		return cerr
	}
	if err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

func openat(dfd int, name string) (int, error) {
	for {
		fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

// readLink reads the target of the link name in d, by readlinkat on d's
// descriptor into a buffer of the stack: os.Root.Readlink splits the path
// and allocates a buffer for each of the 70,000 rc links of a
// 10,000-service image.
func readLink(_ *os.Root, d *os.File, name string) (string, error) {
	var target string
	err := atFD(d, "readlinkat", name, func(dfd int) error {
		var small [256]byte
		for buf := small[:]; ; buf = make([]byte, 2*len(buf)) {
			n, err := unix.Readlinkat(dfd, name, buf)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				return err
			}
			if n < len(buf) {
				target = string(buf[:n])
				return nil
			}
		}
	})
	return target, err
}
