package tree

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"sync"

	"github.com/initcompat/packer-plugin-initcompat/internal/parallel"
)

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
	list, err := listDir(d, maxDirEntries)
	if errors.Is(err, errTooLong) {
		w.fail(tooMany("/"+rel, false))
		return
	}
	if err != nil {
		w.fail(fmt.Errorf("image /%s: %w", rel, err))
		return
	}
	if err := w.limit.listed("/"+rel, len(list)); err != nil {
		w.fail(err)
		return
	}
	if len(list) > 0 && depth("/"+rel)+1 > MaxDepth {
		w.fail(tooDeep("/" + rel + "/" + list[0].Name()))
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

// errTooLong: a directory holds more entries than a lister may list.
var errTooLong = errors.New("too many entries")

// listLimited lists a directory a batch at a time with read (an
// os.File's ReadDir or Readdirnames), at most limit entries: a directory
// of ten million costs a batch past the limit, not its whole listing.
func listLimited[T any](read func(int) ([]T, error), limit int) ([]T, error) {
	var list []T
	for {
		batch, err := read(4096)
		list = append(list, batch...)
		if len(list) > limit {
			return nil, errTooLong
		}
		if errors.Is(err, io.EOF) {
			return list, nil
		}
		if err != nil {
			return nil, err
		}
	}
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
