package protocol

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
)

// The os.Root runner of the apply protocol: the root_dir transport's.
// Every access goes through os.Root, so no symlink in the image leads out
// of it; it runs Steps itself, with the journal and recovery the shell
// runner has.

// Apply runs the plan's steps in the image at root, under its lock.
func Apply(ctx context.Context, root *os.Root, p *plan.Plan, opts Options) (err error) {
	steps, err := Steps(p, opts)
	if err != nil {
		return err
	}
	unlock, err := Lock(root)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := root.Lstat(rel(JournalPath)); err == nil {
		return fmt.Errorf("an apply interrupted since the snapshot left %s; run the build again (it recovers first)", JournalPath)
	}
	r := &rootRun{root: root, opts: opts, places: p.Places, dirs: &dirRoots{root: root, open: map[string]*os.Root{}}}
	defer r.dirs.close()
	defer func() {
		if err == nil || errors.Is(err, ErrKilled) {
			return
		}
		_, notes, rerr := recoverJournal(root, r.own, p.Places)
		if rerr != nil {
			err = fmt.Errorf("%w; undoing it failed too (%w): %s lists what is left, and the next run undoes it first", err, rerr, JournalPath)
			return
		}
		err = fmt.Errorf("%w; nothing was changed%s", err, noteSuffix(notes))
	}()
	return r.all(ctx, steps)
}

// noteSuffix is what a rollback left in place, for its error.
func noteSuffix(notes []string) string {
	if len(notes) == 0 {
		return ""
	}
	return " (" + strings.Join(notes, "; ") + ")"
}

// rootRun is one apply of the os.Root runner.
type rootRun struct {
	root   *os.Root
	opts   Options
	places plan.Places
	dirs   *dirRoots
	// own: the journal in the image is the one this apply wrote.
	own bool
}

// stepwise: a test's Hook or Fault sees every step, one at a time.
func (r *rootRun) stepwise() bool { return r.opts.Hook != nil || r.opts.Fault != nil }

func (r *rootRun) all(ctx context.Context, steps []Step) error {
	committing := false
	for i := 0; i < len(steps); i++ {
		s := steps[i]
		if s.Op == StepJournal && s.State == JournalCommit {
			committing = true
		}
		// Until the commit, a cancelled build stops (and the deferred
		// recovery undoes the staging); the commit's renames, once begun,
		// run to their end, so it never stops in the middle.
		if err := ctx.Err(); err != nil && !committing {
			return fmt.Errorf("cancelled before the commit: %w", err)
		}
		if batch := batchOf(s.Op); !r.stepwise() && batch != nil {
			j := i
			for j < len(steps) && batchOf(steps[j].Op) != nil {
				j++
			}
			if err := batch(r.dirs, steps[i:j]); err != nil {
				return err
			}
			i = j - 1
			continue
		}
		if err := r.run(ctx, i, s); err != nil {
			if s.Op == StepFinish && !errors.Is(err, ErrKilled) {
				// The journal says "done": the image is complete, and the
				// next run finishes the tidying.
				return nil
			}
			return err
		}
	}
	return nil
}

// fault is the test's break before step i, nil when there is none.
func (r *rootRun) fault(i int, s Step) error {
	if r.opts.Hook != nil {
		if err := r.opts.Hook(i, s); err != nil {
			return err
		}
	}
	if f := r.opts.Fault; f != nil && f.At == i {
		if f.Kind == FaultKill {
			return ErrKilled
		}
		return fmt.Errorf("injected fault at step %d (%s)", i, s.Op)
	}
	return nil
}

// run does one step.
func (r *rootRun) run(ctx context.Context, i int, s Step) error {
	name := rel(s.Path)
	switch s.Op {
	case StepIsDir:
		return isDir(r.root, name, s.Path)
	case StepAbsent, StepIsFile, StepIsLink:
		return checkPrior(r.root, name, s)
	case StepCompleted, StepHeld:
		return nil
	}
	if err := r.fault(i, s); err != nil {
		if errors.Is(err, ErrKilled) {
			return err
		}
		return fmt.Errorf("%s %s: %w", s.Op, s.Path, err)
	}
	var err error
	switch s.Op {
	case StepJournal:
		if s.State == JournalBegin {
			// What recovery would refuse to undo is not begun.
			if err := checkJournal(r.root, s.Content, r.places); err != nil {
				return err
			}
		}
		if err = WriteJournal(r.root, s.Content); err == nil {
			r.own = true
		}
	case StepMkdir:
		// Relative to the parent held open: 10,000 directories staged in
		// one stage directory would each walk from the root.
		var d *os.Root
		if d, err = r.dirs.of(path.Dir(s.Path)); err == nil {
			err = d.Mkdir(path.Base(s.Path), s.Mode)
		}
	case StepWrite, StepSymlink:
		var d *os.Root
		if d, err = r.dirs.of(path.Dir(s.Path)); err == nil {
			err = makeStaged(d, s)
		}
	case StepRename:
		err = renameIn(r.dirs, s.Path, s.Target)
	case StepFinish:
		var notes []string
		if _, notes, err = recoverJournal(r.root, r.own, r.places); err == nil && r.opts.Warn != nil {
			for _, n := range notes {
				r.opts.Warn(n)
			}
		}
	case StepBaseline:
		err = r.baseline(ctx, name)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", s.Op, s.Path, err)
	}
	return nil
}

// baseline records what systemd-analyze says before any change; one left
// by a build stopped before its journal began is stale.
func (r *rootRun) baseline(ctx context.Context, name string) error {
	if err := r.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	out := ""
	if r.opts.Analyze != nil {
		var err error
		if out, err = r.opts.Analyze(ctx); err != nil {
			return err
		}
	}
	return writeFile(r.root, name, []byte(out), 0o600)
}

func isDir(root *os.Root, name, p string) error {
	fi, err := root.Lstat(name)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		target, _ := root.Readlink(name)
		return fmt.Errorf("%s is a symlink (to %s); initcompat writes only into real directories of the image", p, target)
	case err != nil || !fi.IsDir():
		return changed(p, "no longer a directory")
	}
	return nil
}

// renameIn renames within one directory tree: every rename of the protocol
// goes between DIR/NAME and DIR/.initcompat-stage/NAME or
// DIR/.initcompat-old/NAME (NAME a file, a link, or a directory the plan
// makes), so it runs relative to DIR.
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

// WriteJournal puts content in place as the journal, whole or not at all.
func WriteJournal(root *os.Root, content []byte) error {
	tmp := rel(JournalPath) + ".new"
	_ = root.Remove(tmp)
	if err := writeFile(root, tmp, content, 0o600); err != nil {
		return err
	}
	return root.Rename(tmp, rel(JournalPath))
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

func rel(p string) string { return strings.TrimPrefix(p, "/") }
