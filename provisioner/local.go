package provisioner

import (
	"context"
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

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/internal/parallel"
)

// local reads and writes an image whose root is a directory on this
// machine. Every access goes through os.Root, so no symlink in the image
// leads out of it. It runs the apply protocol's steps (initcompat.Steps)
// itself, with the same journal and recovery as the shell runner.
type local struct {
	dir string
	// whole lists files read whatever their size (the manifest).
	whole []string
	// step, when set, is called before every step that changes the image;
	// an error from it acts as a failed write, and errKilled stops the
	// apply dead, leaving its journal as a killed process would. Tests use
	// it to break an apply at every point.
	step func(op, path string) error
	// analyzer is the host's systemd-analyze, for verify ("" without).
	analyzer string
}

// errKilled makes a test's step hook act like SIGKILL: no undo runs.
var errKilled = errors.New("killed")

func (l *local) Snapshot(ctx context.Context, ws []tree.Watch, recover bool) (*tree.Tree, string, error) {
	recovered := ""
	if recover {
		var err error
		if recovered, err = l.Recover(ctx); err != nil {
			return nil, "", err
		}
	}
	t, err := tree.FromDir(l.dir, ws, 0, l.whole...)
	if err != nil {
		return nil, recovered, err
	}
	// A root_dir that is not an image (empty, or /etc) would plan nothing
	// and pass green; over a communicator the machine is the image.
	if err := initcompat.CheckImageRoot(t); err != nil {
		return nil, recovered, fmt.Errorf("root_dir %s: %w", l.dir, err)
	}
	return t, recovered, nil
}

// Recover rolls back or finishes what an interrupted apply left, under the
// lock, and says what it did ("" when there was nothing).
func (l *local) Recover(context.Context) (string, error) {
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return "", fmt.Errorf("opening root_dir: %w", err)
	}
	defer func() { _ = root.Close() }()
	if _, err := root.Lstat(rel(initcompat.JournalPath)); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	unlock, err := lockRoot(root)
	if err != nil {
		return "", err
	}
	defer unlock()
	return recoverRoot(root)
}

func rel(p string) string { return strings.TrimPrefix(p, "/") }

func (l *local) Apply(ctx context.Context, plan *initcompat.Plan) (err error) {
	steps, err := plan.Steps()
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return fmt.Errorf("opening root_dir: %w", err)
	}
	defer func() { _ = root.Close() }()
	unlock, err := lockRoot(root)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := root.Lstat(rel(initcompat.JournalPath)); err == nil {
		return fmt.Errorf("an apply interrupted since the snapshot left %s; run the build again (it recovers first)", initcompat.JournalPath)
	}
	defer func() {
		if err == nil || errors.Is(err, errKilled) {
			return
		}
		if _, rerr := recoverRoot(root); rerr != nil {
			err = fmt.Errorf("%w; undoing it failed too (%w): %s lists what is left, and the next run undoes it first", err, rerr, initcompat.JournalPath)
			return
		}
		err = fmt.Errorf("%w; nothing was changed", err)
	}()
	dirs := &dirRoots{root: root, open: map[string]*os.Root{}}
	defer dirs.close()
	committing := false
	for i := 0; i < len(steps); i++ {
		s := steps[i]
		if s.Op == initcompat.StepJournal && s.State == initcompat.JournalCommit {
			committing = true
		}
		// Until the commit, a cancelled build stops (and the deferred
		// recovery undoes the staging); the commit's renames, once begun,
		// run to their end, so it never stops in the middle.
		if err := ctx.Err(); err != nil && !committing {
			return fmt.Errorf("cancelled before the commit: %w", err)
		}
		if batch := batchOf(s.Op); l.step == nil && batch != nil {
			j := i
			for j < len(steps) && batchOf(steps[j].Op) != nil {
				j++
			}
			if err := batch(dirs, steps[i:j]); err != nil {
				return err
			}
			i = j - 1
			continue
		}
		if err := l.run(ctx, root, dirs, s); err != nil {
			if s.Op == initcompat.StepFinish {
				// The journal says "done": the image is complete, and the
				// next run finishes the tidying.
				return nil
			}
			return err
		}
	}
	return nil
}

// batchOf gives the runner of a kind of step that runs in batches, one
// directory per processor, or nil.
func batchOf(op initcompat.StepOp) func(*dirRoots, []initcompat.Step) error {
	switch op {
	case initcompat.StepWrite, initcompat.StepSymlink:
		return stage
	case initcompat.StepAbsent, initcompat.StepIsFile, initcompat.StepIsLink:
		return checkPriors
	}
	return nil
}

// checkPriors runs a run of check steps relative to each directory: one
// call, where a path looked up from the image's root opens every directory
// on the way (80,000 checks were a second of an apply). A directory not
// there yet holds nothing.
func checkPriors(dirs *dirRoots, steps []initcompat.Step) error {
	return inDirs(dirs, steps, func(d *os.Root, s initcompat.Step) error {
		if d == nil {
			if s.Op != initcompat.StepAbsent {
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
// apply at each step run it one step at a time (local.step set).
func stage(dirs *dirRoots, steps []initcompat.Step) error {
	return inDirs(dirs, steps, func(d *os.Root, s initcompat.Step) error {
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
func inDirs(dirs *dirRoots, steps []initcompat.Step, do func(d *os.Root, s initcompat.Step) error) error {
	var order []string
	byDir := map[string][]initcompat.Step{}
	for _, s := range steps {
		d := path.Dir(s.Path)
		if _, seen := byDir[d]; !seen {
			order = append(order, d)
		}
		byDir[d] = append(byDir[d], s)
	}
	roots := make([]*os.Root, len(order))
	for i, d := range order { // opened here: dirRoots is not for goroutines
		r, err := dirs.of(d)
		switch {
		case err == nil:
			roots[i] = r
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%s: %w", d, err)
		}
	}
	return parallel.Each(len(order), func(i int) error {
		for _, s := range byDir[order[i]] {
			if err := do(roots[i], s); err != nil {
				return err
			}
		}
		return nil
	})
}

// makeStaged makes a staged file or link in its directory d.
func makeStaged(d *os.Root, s initcompat.Step) error {
	if s.Op == initcompat.StepWrite {
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
}

// of is directory dir, opened once.
func (d *dirRoots) of(dir string) (*os.Root, error) {
	r, ok := d.open[dir]
	if !ok {
		var err error
		if dir == "/" {
			r = d.root
		} else if r, err = d.root.OpenRoot(rel(dir)); err != nil {
			return nil, err
		}
		d.open[dir] = r
	}
	return r, nil
}

func (d *dirRoots) close() {
	for dir, r := range d.open {
		if dir != "/" {
			_ = r.Close()
		}
	}
}

// run does one step.
func (l *local) run(ctx context.Context, root *os.Root, dirs *dirRoots, s initcompat.Step) error {
	r := rel(s.Path)
	mutates := true
	var err error
	switch s.Op {
	case initcompat.StepIsDir:
		mutates = false
		fi, lerr := root.Lstat(r)
		switch {
		case lerr == nil && fi.Mode()&fs.ModeSymlink != 0:
			target, _ := root.Readlink(r)
			return fmt.Errorf("%s is a symlink (to %s); initcompat writes only into real directories of the image", s.Path, target)
		case lerr != nil || !fi.IsDir():
			return changed(s.Path, "no longer a directory")
		}
	case initcompat.StepAbsent, initcompat.StepIsFile, initcompat.StepIsLink:
		mutates = false
		err = checkPrior(root, r, s)
	case initcompat.StepCompleted, initcompat.StepHeld:
		mutates = false
	}
	if !mutates || err != nil {
		return err
	}
	if l.step != nil {
		if err := l.step(string(s.Op), s.Path); err != nil {
			return fmt.Errorf("%s %s: %w", s.Op, s.Path, err)
		}
	}
	switch s.Op {
	case initcompat.StepJournal:
		if s.State == initcompat.JournalBegin {
			// What recovery would refuse to undo is not begun.
			if err := checkJournal(root, s.Content); err != nil {
				return err
			}
		}
		err = writeJournal(root, s.Content)
	case initcompat.StepMkdir:
		err = root.Mkdir(r, s.Mode)
	case initcompat.StepWrite, initcompat.StepSymlink:
		var d *os.Root
		if d, err = dirs.of(path.Dir(s.Path)); err == nil {
			err = makeStaged(d, s)
		}
	case initcompat.StepRename:
		err = renameIn(dirs, s.Path, s.Target)
	case initcompat.StepFinish:
		_, err = recoverRoot(root)
	case initcompat.StepBaseline:
		// One left by a build stopped before its journal began is stale.
		if err = root.Remove(r); err == nil || errors.Is(err, fs.ErrNotExist) {
			var out string
			if out, err = l.analyze(ctx); err == nil {
				err = writeFile(root, r, []byte(out), 0o600)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", s.Op, s.Path, err)
	}
	return nil
}

// renameIn renames within one directory tree: every rename of the protocol
// goes between DIR/NAME and DIR/.initcompat-stage/NAME or
// DIR/.initcompat-old/NAME, so it runs relative to DIR.
func renameIn(dirs *dirRoots, from, to string) error {
	dir := path.Dir(to)
	if strings.HasPrefix(path.Base(dir), ".initcompat-") {
		dir = path.Dir(dir)
	}
	d, err := dirs.of(dir)
	if err != nil {
		return err
	}
	return d.Rename(strings.TrimPrefix(from, dir+"/"), strings.TrimPrefix(to, dir+"/"))
}

func writeJournal(root *os.Root, content []byte) error {
	tmp := rel(initcompat.JournalPath) + ".new"
	_ = root.Remove(tmp)
	if err := writeFile(root, tmp, content, 0o600); err != nil {
		return err
	}
	return root.Rename(tmp, rel(initcompat.JournalPath))
}

// lockRoot takes the image's lock as the shell runner does (mkdir, with
// this process's pid inside), taking over a lock whose holder is gone.
func lockRoot(root *os.Root) (func(), error) {
	lock := rel(initcompat.LockPath)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := root.Mkdir(lock, 0o700)
		if err == nil {
			if err := root.WriteFile(path.Join(lock, "pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
				_ = root.RemoveAll(lock)
				return nil, fmt.Errorf("writing %s: %w", initcompat.LockPath, err)
			}
			return func() { _ = root.RemoveAll(lock) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("taking the lock %s: %w", initcompat.LockPath, err)
		}
		data, _ := root.ReadFile(path.Join(lock, "pid"))
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(data))); perr == nil && !alive(pid) {
			_ = root.RemoveAll(lock)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another initcompat run holds %s (process %s); wait for it to end, or remove that directory if no build is running", initcompat.LockPath, strings.TrimSpace(string(data)))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func changed(p, how string) error {
	return fmt.Errorf("%s changed since the snapshot (%s); run the build again", p, how)
}

// checkPrior verifies that the path is as the snapshot saw it.
func checkPrior(root *os.Root, r string, s initcompat.Step) error {
	fi, err := root.Lstat(r)
	switch s.Op {
	case initcompat.StepAbsent:
		if err == nil {
			return changed(s.Path, "it exists now")
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checking %s: %w", s.Path, err)
		}
	case initcompat.StepIsFile:
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
	case initcompat.StepIsLink:
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return changed(s.Path, "no longer a symlink")
		}
		if t, err := root.Readlink(r); err != nil || t != s.Target {
			return changed(s.Path, "its target differs")
		}
	}
	return nil
}

func writeFile(root *os.Root, name string, data []byte, mode fs.FileMode) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return root.Chmod(name, mode) // the umask may have narrowed it
}
