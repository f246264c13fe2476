package protocol

import (
	"path"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The protocol's own names in the image. The rc scripts, run-parts and
// systemd skip the hidden names used while staging.
const (
	stageDir = ".initcompat-stage"
	asideDir = ".initcompat-old"
	// JournalPath records an apply in progress. /var/lib exists in every
	// image, whatever manifest_path says.
	JournalPath = "/var/lib/.initcompat-journal"
	// LockPath is held (mkdir, a POSIX atomic) by one apply or recovery
	// at a time; it holds the holder's pid, so a dead holder's lock is
	// taken over.
	LockPath = "/var/lib/.initcompat-lock"
	// BaselinePath holds systemd-analyze verify's output before the apply,
	// for the verify to compare with (Options.Hold).
	BaselinePath = "/var/lib/.initcompat-verify-baseline"
)

// StageDir holds the new files for dir until the commit.
func StageDir(dir string) string { return path.Join(dir, stageDir) }

// AsideDir holds what is replaced or removed in dir until the commit.
func AsideDir(dir string) string { return path.Join(dir, asideDir) }

// StagedName is where a change's new content waits before the commit.
func StagedName(p string) string { return path.Join(StageDir(path.Dir(p)), path.Base(p)) }

// AsideName is where the previous occupant of p waits until the commit.
func AsideName(p string) string { return path.Join(AsideDir(path.Dir(p)), path.Base(p)) }

// OwnName reports whether p is one of the protocol's own files or
// names (journal, lock, baseline, or a stage or aside name), which no
// setting may point at.
func OwnName(p string) bool {
	for _, f := range []string{JournalPath, LockPath, BaselinePath} {
		if p == f || strings.HasPrefix(p, f+".") || strings.HasPrefix(p, f+"/") {
			return true
		}
	}
	for _, c := range strings.Split(p, "/") {
		if strings.HasPrefix(c, ".initcompat-") {
			return true
		}
	}
	return false
}

// ManifestPlace reports whether p may hold the manifest: a file in a
// directory of its own on the image's persistent, writable part.
func ManifestPlace(p string) bool {
	if !tree.IsClean(p) || p == "/" {
		return false
	}
	d := path.Dir(p)
	if d == "/" {
		return false
	}
	for _, top := range []string{"/usr/", "/proc/", "/sys/", "/dev/", "/run/", "/tmp/"} {
		if strings.HasPrefix(d+"/", top) {
			return false
		}
	}
	return true
}
