package provisioner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// local reads and writes an image whose root is a directory on this
// machine. Every access goes through os.Root, so no symlink in the image
// leads out of it; the apply has the same three phases as the remote script.
type local struct {
	dir string
	// step, when set, is called before every change to the image; an error
	// from it acts as a failed write. Tests use it to break an apply midway.
	step func(op, path string) error
}

func (l *local) Snapshot(_ context.Context, ws []tree.Watch) (*tree.Tree, error) {
	return tree.FromDir(l.dir, ws, 0)
}

// undo is one step back; they run in reverse order on failure.
type undo func()

func (l *local) Apply(ctx context.Context, plan *initcompat.Plan) (err error) {
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return fmt.Errorf("opening root_dir: %w", err)
	}
	defer func() { _ = root.Close() }()
	rel := func(p string) string { return strings.TrimPrefix(p, "/") }

	var undos []undo
	defer func() {
		if err == nil {
			return
		}
		for i := len(undos) - 1; i >= 0; i-- {
			undos[i]()
		}
		err = fmt.Errorf("%w; nothing was changed", err)
	}()
	do := func(op, p string, f func() error) error {
		if l.step != nil {
			if err := l.step(op, p); err != nil {
				return fmt.Errorf("%s %s: %w", op, p, err)
			}
		}
		if err := f(); err != nil {
			return fmt.Errorf("%s %s: %w", op, p, err)
		}
		return nil
	}

	// 1. check
	made := map[string]bool{}
	for _, c := range plan.Changes {
		if c.Op == initcompat.OpMkdir {
			made[c.Path] = true
		}
	}
	groups := plan.ByDir()
	for _, g := range groups {
		if !made[g.Dir] {
			if fi, err := root.Lstat(rel(g.Dir)); err != nil || !fi.IsDir() {
				return changed(g.Dir, "no longer a directory")
			}
			st := initcompat.StageDir(g.Dir)
			if err := checkPrior(root, rel(st), initcompat.Change{Path: st, Prior: initcompat.Absent}); err != nil {
				return err
			}
		}
	}
	for _, c := range plan.Changes {
		if err := checkPrior(root, rel(c.Path), c); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// 2. stage
	for _, c := range plan.Changes {
		if c.Op != initcompat.OpMkdir {
			continue
		}
		r := rel(c.Path)
		if err := do("mkdir", c.Path, func() error { return root.Mkdir(r, c.Mode) }); err != nil {
			return err
		}
		undos = append(undos, func() { _ = root.Remove(r) })
	}
	for _, g := range groups {
		if len(g.New) > 0 {
			st := rel(initcompat.StageDir(g.Dir))
			if err := do("mkdir", "/"+st, func() error { return root.Mkdir(st, 0o700) }); err != nil {
				return err
			}
			undos = append(undos, func() { _ = root.RemoveAll(st) })
		}
		for _, c := range g.New {
			st := rel(initcompat.StagedName(c.Path))
			var err error
			if c.Op == initcompat.OpSymlink {
				err = do("link", c.Path, func() error { return root.Symlink(c.Target, st) })
			} else {
				err = do("write", c.Path, func() error { return writeFile(root, st, c.Content, c.Mode) })
			}
			if err != nil {
				return err
			}
		}
		if len(g.Aside) > 0 {
			as := rel(initcompat.AsideDir(g.Dir))
			if err := do("mkdir", "/"+as, func() error { return root.Mkdir(as, 0o700) }); err != nil {
				return err
			}
			undos = append(undos, func() { _ = root.Remove(as) })
		}
		for _, c := range g.Aside {
			r, as := rel(c.Path), rel(initcompat.AsideName(c.Path))
			if err := do("move aside", c.Path, func() error { return root.Rename(r, as) }); err != nil {
				return err
			}
			undos = append(undos, func() { _ = root.Rename(as, r) })
		}
	}

	// 3. commit
	for _, g := range groups {
		for _, c := range g.New {
			r, st := rel(c.Path), rel(initcompat.StagedName(c.Path))
			if err := do("rename", c.Path, func() error { return root.Rename(st, r) }); err != nil {
				return err
			}
			undos = append(undos, func() { _ = root.Remove(r) })
		}
	}
	for _, g := range groups {
		if len(g.New) > 0 {
			_ = root.Remove(rel(initcompat.StageDir(g.Dir)))
		}
		if len(g.Aside) > 0 {
			_ = root.RemoveAll(rel(initcompat.AsideDir(g.Dir)))
		}
	}
	return nil
}

func changed(p, how string) error {
	return fmt.Errorf("%s changed since the snapshot (%s); run the build again", p, how)
}

// checkPrior verifies that the path is as the snapshot saw it.
func checkPrior(root *os.Root, r string, c initcompat.Change) error {
	fi, err := root.Lstat(r)
	switch c.Prior.Kind {
	case "absent":
		if err == nil {
			return changed(c.Path, "it exists now")
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checking %s: %w", c.Path, err)
		}
	case "file":
		if err != nil || !fi.Mode().IsRegular() {
			return changed(c.Path, "no longer a regular file")
		}
		data, err := root.ReadFile(r)
		if err != nil {
			return fmt.Errorf("checking %s: %w", c.Path, err)
		}
		h := sha256.Sum256(data)
		if hex.EncodeToString(h[:]) != c.Prior.SHA256 {
			return changed(c.Path, "its content differs")
		}
	case "symlink":
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return changed(c.Path, "no longer a symlink")
		}
		if t, err := root.Readlink(r); err != nil || t != c.Prior.Target {
			return changed(c.Path, "its target differs")
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
