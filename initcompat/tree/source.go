package tree

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/initcompat/packer-plugin-initcompat/internal/parallel"
)

// budget is the content a snapshot keeps in all (DefaultBudget; tests
// lower it).
var budget int64 = DefaultBudget

// caps decides how much of a file a snapshot reads: at most maxSize
// (DefaultMaxFileSize when 0) of one file, none past the budget of all
// (files past it are recorded, TooLarge and OverBudget, not read); the
// paths in whole (initcompat's own manifest, which grows with the image
// and must be read) have neither cap. The readers of a directory run at
// once, so the budget is passed by at most one file a reader.
type caps struct {
	perFile int64
	whole   []string
	left    atomic.Int64
}

func capFor(maxSize int64, whole []string) *caps {
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	c := &caps{perFile: maxSize, whole: whole}
	c.left.Store(budget)
	return c
}

func (c *caps) isWhole(p string) bool {
	for _, w := range c.whole {
		if w == p {
			return true
		}
	}
	return false
}

// limit is the most that may be read of p now.
func (c *caps) limit(p string) int64 {
	if c.isWhole(p) {
		return 1 << 40
	}
	return max(0, min(c.perFile, c.left.Load()))
}

// read records what e (a regular file of size bytes) costs, or marks it
// not read when its size passed lim.
func (c *caps) read(e *Entry, size, lim int64) {
	if size > lim {
		e.Omitted, e.TooLarge, e.Size, e.Data = true, true, size, nil
		e.OverBudget = size <= c.perFile
		return
	}
	if !c.isWhole(e.Path) {
		c.left.Add(-int64(len(e.Data)))
	}
}

// FromTar builds a tree from the stream SnapshotScript writes: the stat
// listing first, then the content paths, relative to the image root. It
// parses as the stream arrives; a file over its cap is skipped, not read.
func FromTar(r io.Reader, maxSize int64, whole ...string) (*Tree, error) {
	limit := capFor(maxSize, whole)
	maxSize = limit.perFile
	t := New()
	tr := tar.NewReader(r)
	sawStat := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading snapshot stream: %w", err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		if name == StatFile {
			data, err := io.ReadAll(io.LimitReader(tr, maxSize))
			if err != nil {
				return nil, fmt.Errorf("reading snapshot stat list: %w", err)
			}
			if err := t.addStatList(data); err != nil {
				return nil, err
			}
			sawStat = true
			continue
		}
		p := "/" + strings.TrimSuffix(name, "/")
		if !IsClean(p) || p == "/" || strings.Contains(p, "/../") {
			return nil, fmt.Errorf("snapshot stream: member %q: %w", h.Name, ErrBadPath)
		}
		e := Entry{Path: p, Mode: fs.FileMode(h.Mode) & fs.ModePerm}
		switch h.Typeflag {
		case tar.TypeDir:
			e.Kind = Dir
		case tar.TypeSymlink:
			e.Kind, e.Target = Symlink, h.Linkname
		case tar.TypeReg:
			e.Kind = File
			if lim := limit.limit(p); h.Size <= lim {
				if e.Data, err = io.ReadAll(tr); err != nil {
					return nil, fmt.Errorf("snapshot stream: %s: %w", p, err)
				}
				limit.read(&e, h.Size, lim)
			} else {
				limit.read(&e, h.Size, lim)
			}
		case tar.TypeLink:
			// A hard link to a member seen earlier: same content.
			src, ok := t.entries["/"+strings.TrimPrefix(h.Linkname, "./")]
			if !ok {
				continue
			}
			e = *src
			e.Path = p
		default:
			// Devices, fifos and sockets carry nothing initcompat reads.
			continue
		}
		if err := t.Add(e); err != nil {
			return nil, err
		}
	}
	if !sawStat {
		return nil, errors.New("snapshot stream holds no " + StatFile + " member: the remote command did not run the snapshot script")
	}
	return t, nil
}

func (t *Tree) addStatList(data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		f := strings.Split(sc.Text(), "\t")
		bad := func() error {
			return fmt.Errorf("snapshot stat list line %d: %q is not \"KIND\\tPATH[\\tTARGET]\"", n, sc.Text())
		}
		if len(f) < 2 {
			return bad()
		}
		e := Entry{Path: "/" + f[1], Omitted: true}
		switch {
		case f[0] == "l" && len(f) == 3:
			e.Kind, e.Target, e.Omitted = Symlink, f[2], false
		case f[0] == "d" && len(f) == 2:
			e.Kind, e.Mode, e.Omitted = Dir, 0o755, false
		case f[0] == "x" && len(f) == 2:
			e.Kind, e.Mode = File, 0o755
		case f[0] == "f" && len(f) == 2:
			e.Kind, e.Mode = File, 0o644
		default:
			return bad()
		}
		if err := t.Add(e); err != nil {
			return err
		}
	}
	return sc.Err()
}

// FromDir builds a tree from an image mounted or unpacked at dir. All
// access goes through os.Root, and no symlink is followed: the result is
// the one FromTar gives for the same image.
func FromDir(dir string, ws []Watch, maxSize int64, whole ...string) (*Tree, error) {
	limit := capFor(maxSize, whole)
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
		fi, err := root.Lstat(w.Path)
		if err != nil {
			continue // absent: that is what the snapshot records
		}
		e := Entry{Path: "/" + w.Path}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			e.Kind = Symlink
			if e.Target, err = root.Readlink(w.Path); err != nil {
				return nil, fmt.Errorf("image %s: %w", e.Path, err)
			}
		case fi.IsDir():
			e.Kind, e.Mode = Dir, 0o755
		case fi.Mode().IsRegular() && fi.Mode()&0o111 != 0:
			e.Kind, e.Mode, e.Omitted = File, 0o755, true
		default:
			e.Kind, e.Mode, e.Omitted = File, 0o644, true
		}
		if err := t.Add(e); err != nil {
			return nil, err
		}
	}
	if err := wk.addTo(t); err != nil {
		return nil, err
	}
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

func (t *Tree) addMatching(root *os.Root, w Watch, limit *caps) error {
	if linked(root, w.Path+"/x") {
		return nil
	}
	d, err := root.Open(w.Path)
	if err != nil {
		return nil
	}
	defer func() { _ = d.Close() }()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("image /%s: %w", w.Path, err)
	}
	for _, n := range names {
		if ok, _ := path.Match(w.Pattern, n); ok {
			if err := t.addOne(root, path.Join(w.Path, n), path.Join(w.Path, n), limit); err != nil {
				return err
			}
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

// walker reads directory trees on every processor, a directory at a
// time: each is opened once as a root of its own and listed with the types
// getdents gives, so a symlink costs one readlinkat and a file one open,
// with no lstat before either; a large directory's entries are read by
// several goroutines, and the directories found below go to a free
// processor, or are read in turn by the one that found them (the system
// calls are most of a 10,000-service snapshot, and reading one directory
// after another left a processor idle while each was listed and added).
// What is read is added to the tree once all is read, into a map grown
// once.
type walker struct {
	limit *caps
	free  chan struct{} // a token for each processor beyond the caller's
	wg    sync.WaitGroup
	mu    sync.Mutex
	found [][]Entry
	err   error
}

func newWalker(limit *caps) *walker {
	return &walker{limit: limit, free: make(chan struct{}, runtime.GOMAXPROCS(0)-1)}
}

// start reads the directory dir (d is dir itself, opened; rel its path in
// the image) and everything below, on a free processor or this one.
func (w *walker) start(dir *os.Root, d *os.File, closeDir func(), rel string) {
	select {
	case w.free <- struct{}{}:
		w.wg.Add(1)
		go func() {
			defer func() { <-w.free; w.wg.Done() }()
			w.visit(dir, d, closeDir, rel)
		}()
	default:
		w.visit(dir, d, closeDir, rel)
	}
}

func (w *walker) visit(dir *os.Root, d *os.File, closeDir func(), rel string) {
	defer closeDir()
	if w.failed() {
		return
	}
	list, err := listDir(d)
	if err != nil {
		w.fail(fmt.Errorf("image /%s: %w", rel, err))
		return
	}
	found := make([]Entry, len(list))
	err = parallel.For(len(list), func(i int) error {
		p := rel + "/" + list[i].Name()
		var rerr error // one per step: the steps run at once
		found[i], rerr = readEntry(dir, d, list[i], p, w.limit)
		return rerr
	})
	if err != nil {
		w.fail(err)
		return
	}
	w.mu.Lock()
	w.found = append(w.found, found)
	w.mu.Unlock()
	for i := range found {
		if found[i].Kind != Dir {
			continue
		}
		cdir, cd, closeChild, err := openDir(dir, list[i].Name())
		if err != nil {
			w.fail(fmt.Errorf("image %s: %w", found[i].Path, err))
			return
		}
		w.start(cdir, cd, closeChild, found[i].Path[1:])
	}
}

func (w *walker) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *walker) failed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err != nil
}

// addTo waits for every directory, then adds what was read to t.
func (w *walker) addTo(t *Tree) error {
	w.wg.Wait()
	if w.err != nil {
		return w.err
	}
	n := len(t.entries)
	for _, f := range w.found {
		n += len(f)
	}
	grown := make(map[string]*Entry, n)
	maps.Copy(grown, t.entries)
	t.entries = grown
	for _, f := range w.found {
		for i := range f {
			if f[i].Kind == 0 {
				continue // a device, fifo or socket: not part of the snapshot
			}
			if err := t.put(&f[i]); err != nil {
				return err
			}
		}
	}
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
		c.read(&e, f.size, maxSize)
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
