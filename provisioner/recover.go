package provisioner

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"syscall"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
)

// recoverRoot is the shell runner's recover, over os.Root: roll back an
// apply that did not reach "done", finish one that did. The journal is
// checked first (initcompat.Journal.Check): one recovery must not act on
// is refused, and nothing is done.
func recoverRoot(root *os.Root) (string, error) {
	_ = root.Remove(rel(initcompat.JournalPath) + ".new")
	j, err := readJournal(root)
	if err != nil || j == nil {
		return "", err
	}
	if err := j.Check(rootImage{root}); err != nil {
		return "", err
	}
	exists := func(p string) bool { _, err := root.Lstat(rel(p)); return err == nil }
	if j.State == initcompat.JournalCommit {
		for _, p := range j.New {
			if s := initcompat.StagedName(p); exists(s) {
				err = root.Remove(rel(s))
			} else if exists(p) {
				err = root.Remove(rel(p))
			}
			if err != nil {
				return "", fmt.Errorf("undoing %s: %w", p, err)
			}
		}
	}
	if j.State != initcompat.JournalDone {
		// Shallowest first: a directory set aside comes back before its files.
		aside := append([]string(nil), j.Aside...)
		sort.Strings(aside)
		for _, p := range aside {
			if a := initcompat.AsideName(p); exists(a) {
				if err := root.Rename(rel(a), rel(p)); err != nil {
					return "", fmt.Errorf("moving %s back: %w", p, err)
				}
			}
		}
	}
	for _, d := range append(append([]string(nil), j.StageDirs...), j.AsideDirs...) {
		if err := removeTree(root, d); err != nil {
			return "", err
		}
	}
	if j.State != initcompat.JournalDone {
		dirs := append([]string(nil), j.Mkdirs...)
		sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
		for _, d := range dirs {
			_ = root.Remove(rel(d)) // only when empty
		}
	}
	if err := root.Remove(rel(initcompat.JournalPath)); err != nil {
		return "", fmt.Errorf("removing %s: %w", initcompat.JournalPath, err)
	}
	_ = root.Remove(rel(initcompat.BaselinePath))
	if j.State == initcompat.JournalDone {
		return "finished an apply interrupted in its done phase", nil
	}
	return "rolled back an apply interrupted in its " + j.State + " phase", nil
}

// readJournal reads the image's journal, nil when there is none: opened
// without following a link and without blocking, a regular file of a
// bounded size (initcompat.ReadJournal).
func readJournal(root *os.Root) (*initcompat.Journal, error) {
	// os.Root resolves a link at the end itself (O_NOFOLLOW or not): a
	// link is refused before it is opened.
	fi, err := root.Lstat(rel(initcompat.JournalPath))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return nil, initcompat.RefusedLink()
	}
	f, err := root.OpenFile(rel(initcompat.JournalPath), readFlags, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, syscall.ELOOP):
		return nil, initcompat.RefusedLink()
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", initcompat.JournalPath, err)
	}
	defer func() { _ = f.Close() }()
	return initcompat.ReadJournal(f)
}

// checkJournal checks a journal an apply is about to begin as recovery
// would: a path on the way that is a link or a mount point stops the
// apply before it writes.
func checkJournal(root *os.Root, content []byte) error {
	j, err := initcompat.ParseJournal(content)
	if err != nil {
		return err
	}
	return j.Check(rootImage{root})
}

// rootImage is the image at root_dir as initcompat.Journal.Check reads it.
type rootImage struct{ root *os.Root }

func relOrDot(p string) string {
	if r := rel(p); r != "" {
		return r
	}
	return "."
}

func (r rootImage) Lstat(p string) (initcompat.Node, error) {
	name := relOrDot(p)
	fi, err := r.root.Lstat(name)
	if err != nil {
		return initcompat.Node{}, err
	}
	n := initcompat.Node{Kind: kindOf(fi.Mode()), Dev: devOf(fi)}
	if fi.IsDir() {
		n.Dev = mountOf(r.root, name, fi)
	}
	return n, nil
}

func kindOf(m fs.FileMode) initcompat.PathKind {
	switch {
	case m.IsRegular():
		return initcompat.KindFile
	case m&fs.ModeSymlink != 0:
		return initcompat.KindSymlink
	case m.IsDir():
		return initcompat.KindDir
	}
	return initcompat.KindOther
}

// open opens a regular file of the image without following a link or
// blocking.
func (r rootImage) open(p string) (*os.File, fs.FileInfo, error) {
	if fi, err := r.root.Lstat(rel(p)); err == nil && !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	f, err := r.root.OpenFile(rel(p), readFlags, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

func (r rootImage) FileSum(p string, max int64) (string, error) {
	f, fi, err := r.open(p)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	if fi.Size() > max {
		return "", fmt.Errorf("larger than %d bytes", max)
	}
	h := sha256.New()
	if n, err := io.Copy(h, io.LimitReader(f, max+1)); err != nil || n > max {
		return "", fmt.Errorf("reading it: %w (%d bytes)", err, n)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (r rootImage) Readlink(p string) (string, error) { return r.root.Readlink(rel(p)) }

func (r rootImage) HasManifestHeader(p string) (bool, error) {
	f, _, err := r.open(p)
	if err != nil {
		return false, err
	}
	defer func() { _ = f.Close() }()
	b := make([]byte, len(initcompat.ManifestHeader))
	if _, err := io.ReadFull(f, b); err != nil {
		return false, nil
	}
	return string(b) == initcompat.ManifestHeader, nil
}

// maxTreeDepth bounds the directories below a stage or aside directory:
// the protocol sets aside a directory of its own with its files, never a
// deep tree; a deeper one is refused, not followed down (a 10,000-deep
// chain would hold a descriptor a level).
const maxTreeDepth = 16

// removeTree removes a stage or aside directory with what is in it, never
// below a mount point: one under it is refused, naming it.
func removeTree(root *os.Root, d string) error {
	fi, err := root.Lstat(rel(d))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("removing %s: %w", d, err)
	case !fi.IsDir():
		return root.Remove(rel(d))
	}
	return removeDir(root, rel(d), d, mountOf(root, rel(d), fi), 0)
}

func removeDir(parent *os.Root, name, shown string, dev uint64, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("removing %s: more than %d directories deep; initcompat never made that, remove it by hand", path.Dir(shown), maxTreeDepth)
	}
	d, err := parent.OpenRoot(name)
	if err != nil {
		return fmt.Errorf("removing %s: %w", shown, err)
	}
	entries, err := readDir(d)
	if err == nil {
		for _, e := range entries {
			if err = removeEntry(d, e, shown, dev, depth); err != nil {
				break
			}
		}
	}
	_ = d.Close()
	if err != nil {
		return err
	}
	return parent.Remove(name)
}

func removeEntry(d *os.Root, e fs.DirEntry, shown string, dev uint64, depth int) error {
	p := path.Join(shown, e.Name())
	if !e.IsDir() {
		if err := d.Remove(e.Name()); err != nil {
			return fmt.Errorf("removing %s: %w", p, err)
		}
		return nil
	}
	fi, err := d.Lstat(e.Name())
	if err != nil {
		return fmt.Errorf("removing %s: %w", p, err)
	}
	if mountOf(d, e.Name(), fi) != dev {
		return fmt.Errorf("not removing %s: a mount point, which recovery does not cross", p)
	}
	return removeDir(d, e.Name(), p, dev, depth+1)
}

func readDir(d *os.Root) ([]fs.DirEntry, error) {
	f, err := d.Open(".")
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return f.ReadDir(-1)
}
