package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/internal/parallel"
)

// The os.Root runner's steps that run in batches, its directories held
// open, its lock and its checks of what the snapshot saw.

// batchOf gives the runner of a kind of step that runs in batches, one
// directory per processor, or nil.
func batchOf(op StepOp) func(*dirRoots, []Step) error {
	switch op {
	case StepWrite, StepSymlink:
		return stage
	case StepAbsent, StepIsFile, StepIsLink:
		return checkPriors
	}
	return nil
}

// checkPriors runs a run of check steps relative to each directory: one
// call, where a path looked up from the image's root opens every directory
// on the way (80,000 checks were a second of an apply). A directory not
// there yet holds nothing.
func checkPriors(dirs *dirRoots, steps []Step) error {
	return inDirs(dirs, steps, func(d *os.Root, s Step) error {
		if d == nil {
			if s.Op != StepAbsent {
				return changed(s.Path, "its directory is gone")
			}
			return nil
		}
		return checkPrior(d, path.Base(s.Path), s)
	})
}

// stage makes the staged files and links of a run of steps: ext4 here
// takes ~90 µs for a symlink, so the 70,000 links of 10,000 services were
// most of an apply, and creations in different directories do not wait for
// each other's directory lock. The steps are independent (each its own
// name in a directory of its own making); the first error stops them and
// the recovery removes the stage directories whole. Tests that break the
// apply at each step run it one step at a time (Options.Hook or Fault set).
func stage(dirs *dirRoots, steps []Step) error {
	return inDirs(dirs, steps, func(d *os.Root, s Step) error {
		err := fs.ErrNotExist // the stage directory was made by an earlier step
		if d != nil {
			err = makeStaged(d, s)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", s.Op, s.Path, err)
		}
		return nil
	})
}

// inDirs runs do on each step, relative to the step's directory (opened
// once, nil when it does not exist): the steps of a directory in order, the
// directories on every processor.
func inDirs(dirs *dirRoots, steps []Step, do func(d *os.Root, s Step) error) error {
	var order []string
	byDir := map[string][]Step{}
	for _, s := range steps {
		d := path.Dir(s.Path)
		if _, seen := byDir[d]; !seen {
			order = append(order, d)
		}
		byDir[d] = append(byDir[d], s)
	}
	// A window of directories open at a time: 10,000 drop-in directories
	// and their stage directories, all open at once, passed the open-file
	// limit (20,000 here) and failed the apply, and its undo, with EMFILE.
	for start := 0; start < len(order); start += dirWindow {
		part := order[start:min(start+dirWindow, len(order))]
		if err := inWindow(dirs, part, byDir, do); err != nil {
			return err
		}
	}
	return nil
}

// dirWindow is how many directories inDirs holds open, each on a
// processor of its own in turn.
const dirWindow = 64

func inWindow(dirs *dirRoots, part []string, byDir map[string][]Step, do func(d *os.Root, s Step) error) error {
	roots := make([]*os.Root, len(part))
	defer func() {
		for _, r := range roots {
			if r != nil && r != dirs.root {
				_ = r.Close()
			}
		}
	}()
	for i, d := range part { // opened here: dirRoots is not for goroutines
		r, err := dirs.openDir(d)
		switch {
		case err == nil:
			roots[i] = r
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%s: %w", d, err)
		}
	}
	return parallel.Each(len(part), func(i int) error {
		for _, s := range byDir[part[i]] {
			if err := do(roots[i], s); err != nil {
				return err
			}
		}
		return nil
	})
}

// makeStaged makes a staged file or link in its directory d.
func makeStaged(d *os.Root, s Step) error {
	if s.Op == StepWrite {
		return writeFile(d, path.Base(s.Path), s.Content, s.Mode)
	}
	return d.Symlink(s.Target, path.Base(s.Path))
}

// dirRoots keeps each directory the apply writes into open as a root of
// its own: a step then costs one call relative to its directory instead of
// a walk from the image's root, component by component (80,000 changes
// took minutes the other way).
type dirRoots struct {
	root *os.Root
	open map[string]*os.Root
	// opened is the order open's roots were opened in, the first closed
	// first past maxOpenDirs.
	opened []string
}

// maxOpenDirs bounds the directories of dirRoots open at once (the
// renames go directory by directory: a few are enough to make each a call
// relative to its directory).
const maxOpenDirs = 64

// openDir opens directory dir as a root of its own ("/" is the image's).
func (d *dirRoots) openDir(dir string) (*os.Root, error) {
	if dir == "/" {
		return d.root, nil
	}
	return d.root.OpenRoot(rel(dir))
}

// of is directory dir, kept open while it is among the last maxOpenDirs
// asked for.
func (d *dirRoots) of(dir string) (*os.Root, error) {
	if r, ok := d.open[dir]; ok {
		return r, nil
	}
	r, err := d.openDir(dir)
	if err != nil {
		return nil, err
	}
	if len(d.opened) >= maxOpenDirs {
		oldest := d.opened[0]
		d.opened = d.opened[1:]
		if o := d.open[oldest]; o != d.root {
			_ = o.Close()
		}
		delete(d.open, oldest)
	}
	d.open[dir] = r
	d.opened = append(d.opened, dir)
	return r, nil
}

func (d *dirRoots) close() {
	for _, r := range d.open {
		if r != d.root {
			_ = r.Close()
		}
	}
}

// Lock takes the image's lock as the shell runner does (mkdir, with
// this process's pid inside), taking over a lock whose holder is gone.
func Lock(root *os.Root) (func(), error) {
	lock := rel(LockPath)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := root.Mkdir(lock, 0o700)
		if err == nil {
			if err := root.WriteFile(path.Join(lock, "pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
				_ = root.RemoveAll(lock)
				return nil, fmt.Errorf("writing %s: %w", LockPath, err)
			}
			return func() { _ = root.RemoveAll(lock) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("taking the lock %s: %w", LockPath, err)
		}
		data, _ := root.ReadFile(path.Join(lock, "pid"))
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(data))); perr == nil && !Alive(pid) {
			_ = root.RemoveAll(lock)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another initcompat run holds %s (process %s); wait for it to end, or remove that directory if no build is running", LockPath, strings.TrimSpace(string(data)))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func changed(p, how string) error {
	return fmt.Errorf("%s changed since the snapshot (%s); run the build again", p, how)
}

// checkPrior verifies that the path is as the snapshot saw it.
func checkPrior(root *os.Root, r string, s Step) error {
	fi, err := root.Lstat(r)
	switch s.Op {
	case StepAbsent:
		if err == nil {
			return changed(s.Path, "it exists now")
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checking %s: %w", s.Path, err)
		}
	case StepIsFile:
		if err != nil || !fi.Mode().IsRegular() {
			return changed(s.Path, "no longer a regular file")
		}
		data, err := root.ReadFile(r)
		if err != nil {
			return fmt.Errorf("checking %s: %w", s.Path, err)
		}
		h := sha256.Sum256(data)
		if hex.EncodeToString(h[:]) != s.SHA256 {
			return changed(s.Path, "its content differs")
		}
	case StepIsLink:
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return changed(s.Path, "no longer a symlink")
		}
		if t, err := root.Readlink(r); err != nil || t != s.Target {
			return changed(s.Path, "its target differs")
		}
	}
	return nil
}
