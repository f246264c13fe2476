package provisioner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/planner"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/internal/confine"
)

// local reads and writes an image whose root is a directory on this
// machine: the snapshot from the directory, the apply by the protocol's
// os.Root runner (protocol.Apply) over it, so no symlink in the image
// leads out of it.
type local struct {
	dir string
	// uncapped lists the files read past the per-file cap, within
	// tree.MaxUncappedSize (the manifest).
	uncapped []string
	// step, when set, is called before every step that changes the image
	// (by its kind and path); an error from it acts as a failed write, and
	// errKilled stops the apply dead, leaving its journal as a killed
	// process would. Tests use it to break an apply at every point.
	step func(op, path string) error
	// analyzer is the host's systemd-analyze, for verify ("" without).
	analyzer string
	// confined runs the analyzer with root_dir as its root (confine.go);
	// nil when it cannot here, and unconfined says why.
	confined   *confine.Program
	unconfined string
}

// errKilled makes a test's step hook act like SIGKILL: no undo runs.
var errKilled = protocol.ErrKilled

func (l *local) Snapshot(ctx context.Context, ws []tree.Watch, recover bool) (*tree.Tree, string, error) {
	recovered := ""
	if recover {
		var err error
		if recovered, err = l.Recover(ctx); err != nil {
			return nil, "", err
		}
	}
	t, err := tree.FromDir(l.dir, ws, 0, l.uncapped...)
	if err != nil {
		return nil, recovered, err
	}
	// A root_dir that is not an image (empty, or /etc) would plan nothing
	// and pass green; over a communicator the machine is the image.
	if err := inspect.CheckImageRoot(t); err != nil {
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
	if _, err := root.Lstat(rel(protocol.JournalPath)); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	unlock, err := protocol.Lock(root)
	if err != nil {
		return "", err
	}
	defer unlock()
	return recoverRoot(root, nil)
}

func (l *local) Apply(ctx context.Context, pl *plan.Plan, opts protocol.Options) error {
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return fmt.Errorf("opening root_dir: %w", err)
	}
	defer func() { _ = root.Close() }()
	if opts.Hold {
		opts.Analyze = l.analyze
	}
	if l.step != nil && opts.Hook == nil {
		opts.Hook = func(_ int, s protocol.Step) error { return l.step(string(s.Op), s.Path) }
	}
	return protocol.Apply(ctx, root, pl, opts)
}

// Programs reads the programs init scripts run through os.Root, as the
// snapshot's kept files are read.
func (l *local) Programs(_ context.Context, paths []string) ([]*tree.Ref, error) {
	refs, err := tree.RefsFromDir(l.dir, paths)
	if err != nil {
		return nil, fmt.Errorf("reading programs under %s: %w", l.dir, err)
	}
	return refs, nil
}

func rel(p string) string { return strings.TrimPrefix(p, "/") }

// recoverRoot recovers and says what it did. What it left in place goes
// to warn (verify finishing a held apply, as the apply's own warnings);
// with none (the recovery before a snapshot) it is said with the rest.
func recoverRoot(root *os.Root, warn func(string)) (string, error) {
	what, notes, err := protocol.Recover(root, planner.Places())
	if warn == nil {
		if len(notes) > 0 {
			what += "; " + strings.Join(notes, "; ")
		}
		return what, err
	}
	for _, n := range notes {
		warn(n)
	}
	return what, err
}
