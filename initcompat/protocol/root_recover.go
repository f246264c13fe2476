package protocol

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
)

// Recover is the shell runner's recover, over os.Root: roll back an
// apply that did not reach "done", finish one that did. The journal is
// checked first (Journal.Check): one recovery must not act on is refused,
// and nothing is done. It says what it did ("" when there was no journal)
// and what it left in place: a directory it was to remove that holds what
// the protocol does not know. The caller holds the lock.
func Recover(root *os.Root, places plan.Places) (string, []string, error) {
	return recoverJournal(root, false, places)
}

// recoverJournal is Recover; own is a journal this apply wrote itself,
// under its lock, once Check passed on it: the finish of its own apply,
// or the rollback of one that failed, which do not check it again (as the
// shell's recover does with own=1).
func recoverJournal(root *os.Root, own bool, places plan.Places) (string, []string, error) {
	_ = root.Remove(rel(JournalPath) + ".new")
	j, err := OpenJournal(root, places)
	if err != nil || j == nil {
		return "", nil, err
	}
	if !own {
		if err := j.Check(rootImage{root}); err != nil {
			return "", nil, err
		}
	}
	if err := undo(root, j); err != nil {
		return "", nil, err
	}
	for _, d := range append(append([]string(nil), j.StageDirs...), j.AsideDirs...) {
		if err := removeTree(root, d); err != nil {
			return "", nil, err
		}
	}
	// A rollback takes away the directories the apply made, a finish those
	// the plan removes: deepest first, each only once nothing is left in it.
	dirs := j.Rmdirs
	if j.State != JournalDone {
		dirs = j.Mkdirs
	}
	notes := rmdirs(root, dirs)
	if err := root.Remove(rel(JournalPath)); err != nil {
		return "", nil, fmt.Errorf("removing %s: %w", JournalPath, err)
	}
	_ = root.Remove(rel(BaselinePath))
	if j.State == JournalDone {
		return "finished an apply interrupted in its done phase", notes, nil
	}
	return "rolled back an apply interrupted in its " + j.State + " phase", notes, nil
}

// undo removes what a commit put in place and moves set-aside paths back,
// for a journal that did not reach "done".
func undo(root *os.Root, j *Journal) error {
	exists := func(p string) bool { _, err := root.Lstat(rel(p)); return err == nil }
	var err error
	if j.State == JournalCommit {
		for _, p := range j.New {
			if s := StagedName(p); exists(s) {
				err = root.Remove(rel(s))
			} else if exists(p) {
				err = root.Remove(rel(p))
			}
			if err != nil {
				return fmt.Errorf("undoing %s: %w", p, err)
			}
		}
	}
	if j.State == JournalDone {
		return nil
	}
	// Shallowest first: a directory set aside comes back before its files.
	aside := append([]string(nil), j.Aside...)
	sort.Strings(aside)
	for _, p := range aside {
		if a := AsideName(p); exists(a) {
			if err := root.Rename(rel(a), rel(p)); err != nil {
				return fmt.Errorf("moving %s back: %w", p, err)
			}
		}
	}
	return nil
}

// rmdirs removes each directory that is empty, deepest first, and names
// those left in place with what is in them (as the shell's rmdirs does).
func rmdirs(root *os.Root, dirs []string) []string {
	dirs = append([]string(nil), dirs...)
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	var notes []string
	for _, d := range dirs {
		if root.Remove(rel(d)) == nil {
			continue
		}
		fi, err := root.Lstat(rel(d))
		if err != nil || !fi.IsDir() {
			continue
		}
		notes = append(notes, "left "+d+" in place: it holds what initcompat did not make: "+entryNames(root, d))
	}
	return notes
}

// entryNames lists the first five names in d, sorted, "..." for more.
func entryNames(root *os.Root, d string) string {
	f, err := root.Open(rel(d))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	defer func() { _ = f.Close() }()
	names, _ := f.Readdirnames(-1)
	sort.Strings(names)
	if len(names) > 5 {
		names = append(names[:5], "...")
	}
	return strings.Join(names, ", ")
}

// OpenJournal reads the image's journal, nil when there is none: opened
// without following a link and without blocking, a regular file of a
// bounded size (ReadJournal).
func OpenJournal(root *os.Root, places plan.Places) (*Journal, error) {
	// os.Root resolves a link at the end itself (O_NOFOLLOW or not): a
	// link is refused before it is opened.
	fi, err := root.Lstat(rel(JournalPath))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return nil, RefusedLink()
	}
	f, err := root.OpenFile(rel(JournalPath), readFlags, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, syscall.ELOOP):
		return nil, RefusedLink()
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", JournalPath, err)
	}
	defer func() { _ = f.Close() }()
	return ReadJournal(f, places)
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
