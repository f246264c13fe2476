package protocol

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// mountOf identifies the mount holding directory name: its mount ID
// (statx), which a bind mount of the same file system changes too, where
// st_dev does not; st_dev where statx cannot say.
func mountOf(root *os.Root, name string, fi fs.FileInfo) uint64 {
	f, err := root.OpenFile(name, os.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return devOf(fi)
	}
	defer func() { _ = f.Close() }()
	var st unix.Statx_t
	if err := unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &st); err != nil || st.Mask&unix.STATX_MNT_ID == 0 {
		return devOf(fi)
	}
	return st.Mnt_id
}
