package tree

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
)

// budget is the content a snapshot keeps in all (DefaultBudget; tests
// lower it).
var budget int64 = DefaultBudget

// MaxDepth is how many components deep a snapshot reads a path of the
// image. The trees initcompat reads are shallow
// (/usr/lib/systemd/system/NAME.service.d/FILE is 6), and each level of a
// directory walk holds descriptors open while it reads the level below,
// so a directory chain planted in the image (10,000 deep ran the walk out
// of descriptors, and its path made a 40 KB error) is refused here, by both
// sources alike. snapshot.sh's tar stops below the same depth.
const MaxDepth = 32

// ErrTooDeep is what a snapshot of an image with a path deeper than
// MaxDepth returns.
var ErrTooDeep = errors.New("directories nest too deep")

// depth is the number of components of an absolute image path.
func depth(p string) int { return strings.Count(strings.TrimSuffix(p, "/"), "/") }

// tooDeep refuses p, naming it short enough to read: its first components
// and how deep it goes.
func tooDeep(p string) error {
	shown := p
	if len(shown) > 120 {
		shown = shown[:120] + "..."
	}
	return fmt.Errorf("image %s (%d levels): %w: initcompat reads at most %d levels, and no unit, init script or job tree needs more; remove or flatten that directory chain in the image and run again", shown, depth(p), ErrTooDeep, MaxDepth)
}

// MaxDirEntries bounds the entries a snapshot reads in one directory, and
// MaxPaths those it reads in all. Each path read costs the plugin memory
// through the build (the snapshot's entry, the unit store's, the plan's
// findings: 1,886 bytes a path for a million empty unit files, 1.8 GiB,
// issue 34), so an image past either fails the build, naming the
// directory, before that directory's entries are read. Real images hold
// a few thousand of each; 10,000 services make 20,000 entries in
// /etc/systemd/system (units and drop-in directories) and 100,000 paths
// in all, 100,000 services 200,000 and about a million.
const (
	MaxDirEntries = 200_000
	MaxPaths      = 1_200_000
)

// maxDirEntries and maxPaths are the bounds in force (tests lower them).
var maxDirEntries, maxPaths = MaxDirEntries, MaxPaths

// ErrTooMany is what a snapshot of an image past MaxDirEntries or
// MaxPaths returns.
var ErrTooMany = errors.New("too many entries")

// tooMany refuses the image at dir, which holds at least n entries
// (in all when total), naming the fix.
func tooMany(dir string, total bool) error {
	if total {
		return fmt.Errorf("image %s: the snapshot passed %d paths in all there: %w: initcompat reads at most %d paths (and %d in a directory), far more than any image's units, scripts, jobs and links; remove what was planted in that directory or those beside it and run again", dir, maxPaths, ErrTooMany, maxPaths, maxDirEntries)
	}
	return fmt.Errorf("image %s holds more than %d entries: %w: initcompat reads at most %d in a directory (and %d paths in all), far more than any image's units, scripts, jobs or links; remove what was planted there and run again", dir, maxDirEntries, ErrTooMany, maxDirEntries, maxPaths)
}

// MaxUncappedSize bounds the files read uncapped: a manifest grows with
// the image (111 MB at 100,000 services), so it has no cap of its own,
// but one planted larger than any image makes is refused, not read into
// memory.
const MaxUncappedSize = 1 << 30

// caps decides how much of a file a snapshot reads: at most maxSize
// (DefaultMaxFileSize when 0) of one file, none past the budget of all
// (files past it are recorded, TooLarge and OverBudget, not read); the
// paths in uncapped (initcompat's own manifest, which grows with the image
// and must be read) have neither cap, only MaxUncappedSize. The readers of a directory run at
// once, so the budget is passed by at most one file a reader.
type caps struct {
	perFile  int64
	uncapped []string
	left     atomic.Int64
	paths    atomic.Int64 // read so far, against maxPaths
}

// listed counts the n entries listed in dir (an image path) against
// maxPaths; maxDirEntries is the lister's to hold (it stops listing
// there).
func (c *caps) listed(dir string, n int) error {
	if c.paths.Add(int64(n)) > int64(maxPaths) {
		return tooMany(dir, true)
	}
	return nil
}

func capFor(maxSize int64, uncapped []string) *caps {
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	c := &caps{perFile: maxSize, uncapped: uncapped}
	c.left.Store(budget)
	return c
}

func (c *caps) isUncapped(p string) bool {
	for _, u := range c.uncapped {
		if u == p {
			return true
		}
	}
	return false
}

// limit is the most that may be read of p now.
func (c *caps) limit(p string) int64 {
	if c.isUncapped(p) {
		return MaxUncappedSize
	}
	return max(0, min(c.perFile, c.left.Load()))
}

// read records what e (a regular file of size bytes) costs, or marks it
// not read when its size passed lim; an uncapped file past its bound fails
// the snapshot, as it can be read neither whole nor in part.
func (c *caps) read(e *Entry, size, lim int64) error {
	uncapped := c.isUncapped(e.Path)
	switch {
	case size > lim && uncapped:
		return fmt.Errorf("image %s: %d bytes, more than the %d initcompat reads of its own files: no image makes one that large; move it away and run again", e.Path, size, int64(MaxUncappedSize))
	case size > lim:
		e.Omitted, e.TooLarge, e.Size, e.Data = true, true, size, nil
		e.OverBudget = size <= c.perFile
	case !uncapped:
		c.left.Add(-int64(len(e.Data)))
	}
	return nil
}
