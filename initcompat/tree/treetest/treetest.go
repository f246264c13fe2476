// Package treetest reads image trees written as txtar archives, for tests.
// A member name is a path relative to the image root, with a suffix for
// what is not a plain file:
//
//	-- etc/init.d/cron [x] --          an executable file (mode 0755)
//	-- lib -> usr/lib --               a symlink (the body must be empty)
//	-- etc/rc0.d/ --                   an empty directory
//	-- etc/systemd/system/a.service -- a file (mode 0644)
package treetest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// Member is one parsed archive member.
type Member struct {
	Path   string // relative to the image root
	Kind   tree.Kind
	Mode   fs.FileMode
	Target string
	Data   []byte
}

// Parse reads the members whose names start with prefix, stripping it.
func Parse(files []txtar.File, prefix string) ([]Member, error) {
	var out []Member
	for _, f := range files {
		name, ok := strings.CutPrefix(f.Name, prefix)
		if !ok {
			continue
		}
		m := Member{Kind: tree.File, Mode: 0o644, Data: f.Data}
		switch {
		case strings.Contains(name, " -> "):
			p, target, _ := strings.Cut(name, " -> ")
			m.Path, m.Kind, m.Target, m.Mode, m.Data = p, tree.Symlink, target, 0o777, nil
		case strings.HasSuffix(name, "/"):
			m.Path, m.Kind, m.Mode, m.Data = strings.TrimSuffix(name, "/"), tree.Dir, 0o755, nil
		case strings.HasSuffix(name, " [x]"):
			m.Path, m.Mode = strings.TrimSuffix(name, " [x]"), 0o755
		default:
			m.Path = name
		}
		if m.Path == "" || strings.HasPrefix(m.Path, "/") {
			return nil, fmt.Errorf("member %q: want a path relative to the image root", f.Name)
		}
		out = append(out, m)
	}
	return out, nil
}

// Tree builds an in-memory tree.
func Tree(ms []Member) (*tree.Tree, error) {
	t := tree.New()
	for _, m := range ms {
		e := tree.Entry{Path: "/" + m.Path, Kind: m.Kind, Mode: m.Mode, Target: m.Target, Data: m.Data}
		if err := t.Add(e); err != nil {
			return nil, err
		}
	}
	// A snapshot never holds a path below a symlink; a fixture that does
	// would test a tree no image gives.
	for _, p := range t.Paths() {
		if real, err := t.ResolveParent(p); err != nil || real != p {
			return nil, fmt.Errorf("member %s lies below a symlink (real path %s); write it under its real path", p, real)
		}
	}
	return t, nil
}

// WriteDir materializes members under dir on disk.
func WriteDir(dir string, ms []Member) error {
	for _, m := range ms {
		p := filepath.Join(dir, filepath.FromSlash(m.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		var err error
		switch m.Kind {
		case tree.Dir:
			err = os.MkdirAll(p, m.Mode)
		case tree.Symlink:
			err = os.Symlink(m.Target, p)
		default:
			if err = os.WriteFile(p, m.Data, m.Mode); err == nil {
				err = os.Chmod(p, m.Mode)
			}
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", m.Path, err)
		}
	}
	return nil
}
