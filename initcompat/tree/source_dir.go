package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// FromDir builds a tree from an image mounted or unpacked at dir. All
// access goes through os.Root, and no symlink is followed: the result is
// the one FromTar gives for the same image (uncapped and MaxDepth alike).
func FromDir(dir string, ws []Watch, maxSize int64, uncapped ...string) (*Tree, error) {
	limit := capFor(maxSize, uncapped)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening image root: %w", err)
	}
	defer func() { _ = root.Close() }()
	t := New()
	wk := newWalker(limit)
	defer wk.wg.Wait() // on every return: nothing reads the image after
	for _, w := range ws {
		if w.Pattern != "" {
			if err := t.addMatching(root, w, limit); err != nil {
				return nil, err
			}
			continue
		}
		if linked(root, w.Path) {
			continue
		}
		if w.Content {
			if err := t.addContent(root, w.Path, wk); err != nil {
				return nil, err
			}
			continue
		}
		e, ok, err := statEntry(root, w.Path, limit)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue // absent: that is what the snapshot records
		}
		if err := t.Add(e); err != nil {
			return nil, err
		}
	}
	if err := wk.addTo(t); err != nil {
		return nil, err
	}
	kept, err := refsFromRoot(root)
	if err != nil {
		return nil, err
	}
	t.AddRefs(kept)
	return t, nil
}

// linked reports whether a proper prefix of rel is a symlink.
func linked(root *os.Root, rel string) bool {
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		fi, err := root.Lstat(strings.Join(parts[:i], "/"))
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return true
		}
	}
	return false
}

// statEntry is what a stat watch records of rel: its kind, a link's
// target, whether a file is executable; no content. ok is false when rel
// is absent.
func statEntry(root *os.Root, rel string, limit *caps) (e Entry, ok bool, err error) {
	fi, err := root.Lstat(rel)
	if err != nil {
		return Entry{}, false, nil
	}
	if err := limit.listed("/"+rel, 1); err != nil {
		return Entry{}, false, err
	}
	e = Entry{Path: "/" + rel}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		e.Kind = Symlink
		if e.Target, err = root.Readlink(rel); err != nil {
			return Entry{}, false, fmt.Errorf("image %s: %w", e.Path, err)
		}
	case fi.IsDir():
		e.Kind, e.Mode = Dir, 0o755
	case fi.Mode().IsRegular() && fi.Mode()&0o111 != 0:
		e.Kind, e.Mode, e.Omitted = File, 0o755, true
	default:
		e.Kind, e.Mode, e.Omitted = File, 0o644, true
	}
	return e, true, nil
}

func (t *Tree) addMatching(root *os.Root, w Watch, limit *caps) error {
	if linked(root, w.Path+"/x") {
		return nil
	}
	d, err := root.Open(w.Path)
	if err != nil {
		return nil
	}
	defer func() { _ = d.Close() }()
	names, err := listLimited(d.Readdirnames, maxDirEntries)
	if errors.Is(err, errTooLong) {
		return tooMany("/"+w.Path, false)
	}
	if err != nil {
		return fmt.Errorf("image /%s: %w", w.Path, err)
	}
	for _, n := range names {
		if ok, _ := path.Match(w.Pattern, n); !ok {
			continue
		}
		rel := path.Join(w.Path, n)
		if !w.Content {
			e, ok, err := statEntry(root, rel, limit)
			if err == nil && ok {
				err = t.Add(e)
			}
			if err != nil {
				return err
			}
			continue
		}
		if err := limit.listed("/"+w.Path, 1); err != nil {
			return err
		}
		if err := t.addOne(root, rel, rel, limit); err != nil {
			return err
		}
	}
	return nil
}

// addContent records rel and, when it is a real directory, everything
// below (read by wk, added when wk is done).
func (t *Tree) addContent(root *os.Root, rel string, wk *walker) error {
	fi, err := root.Lstat(rel)
	if err != nil {
		return nil
	}
	if err := wk.limit.listed("/"+rel, 1); err != nil {
		return err
	}
	if err := t.addOne(root, rel, rel, wk.limit); err != nil || !fi.IsDir() {
		return err
	}
	dir, d, closeDir, err := openDir(root, rel)
	if err != nil {
		return fmt.Errorf("image /%s: %w", rel, err)
	}
	wk.start(dir, d, closeDir, rel)
	return nil
}

// openDir opens name (relative to parent) as a root of its own and as a
// file, for listing it and reading relative to its descriptor.
func openDir(parent *os.Root, name string) (*os.Root, *os.File, func(), error) {
	dir, err := parent.OpenRoot(name)
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := dir.Open(".")
	if err != nil {
		_ = dir.Close()
		return nil, nil, nil, err
	}
	return dir, d, func() { _ = d.Close(); _ = dir.Close() }, nil
}

// readEntry reads one listed entry of dir (d is dir itself, opened).
// A zero Entry means the entry is of a kind the snapshot does not keep.
func readEntry(dir *os.Root, d *os.File, de fs.DirEntry, rel string, c *caps) (Entry, error) {
	e := Entry{Path: "/" + rel}
	var err error
	switch de.Type() {
	case fs.ModeSymlink:
		e.Kind, e.Mode = Symlink, fs.ModePerm // what lstat says of any link on Linux
		if e.Target, err = readLink(dir, d, de.Name()); err != nil {
			return Entry{}, fmt.Errorf("image /%s: %w", rel, err)
		}
	case fs.ModeDir:
		if e.Mode, err = dirPerm(dir, d, de.Name()); err != nil {
			return Entry{}, fmt.Errorf("image /%s: %w", rel, err)
		}
		e.Kind = Dir
	case 0: // a regular file
		maxSize := c.limit(e.Path)
		f, err := readRegular(dir, d, de.Name(), maxSize)
		if err != nil {
			return Entry{}, fmt.Errorf("image /%s: %w", rel, err)
		}
		if !f.regular {
			return Entry{}, nil // replaced by something else since the listing
		}
		e.Kind, e.Mode, e.Data = File, f.mode, f.data
		if err := c.read(&e, f.size, maxSize); err != nil {
			return Entry{}, err
		}
	}
	return e, nil
}

// addOne records name (relative to root), whose path in the image is rel.
func (t *Tree) addOne(root *os.Root, name, rel string, limit *caps) error {
	fi, err := root.Lstat(name)
	if err != nil {
		return fmt.Errorf("image /%s: %w", rel, err)
	}
	parent := "."
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		parent = name[:i]
	}
	dir, d, closeDir, err := openDir(root, parent)
	if err != nil {
		return fmt.Errorf("image /%s: %w", rel, err)
	}
	defer closeDir()
	e, err := readEntry(dir, d, fs.FileInfoToDirEntry(fi), rel, limit)
	if err != nil || e.Kind == 0 {
		return err
	}
	return t.Add(e)
}

// regular is what a snapshot keeps of a regular file.
type regular struct {
	regular bool // false: the name is no longer a regular file
	mode    fs.FileMode
	size    int64
	data    []byte // nil when size > the cap
}
