package systemd

import (
	"path"
	"sort"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// ForeignLinks lists, sorted, the links of the unit search path that the
// snapshot cannot follow to what it holds there: a link among the entries
// of a search directory, or of the .d, .wants and .requires directories
// in one, whose resolution in the image does not end at a file or a
// directory the snapshot holds under a search directory. Masks (links to
// /dev/null) are not foreign. The snapshot reads such a link's unit as
// missing; a tool reading the image from outside it may follow the link
// out of the image (systemd 252's systemd-analyze verify --root opens a
// link leaving its search path at its target on the host: issue 34).
func ForeignLinks(t *tree.Tree) []string {
	var real []string
	for _, d := range SearchPath {
		r, err := t.Resolve(d)
		if err != nil {
			continue
		}
		if e, ok := t.Lstat(r); ok && e.Kind == tree.Dir {
			real = append(real, r)
		}
	}
	inside := func(p string) bool {
		for _, d := range real {
			if strings.HasPrefix(p, d+"/") {
				return true
			}
		}
		return false
	}
	foreign := map[string]bool{}
	check := func(e *tree.Entry) {
		if e.Kind != tree.Symlink || isNull(e.Target) {
			return
		}
		r, err := t.Resolve(e.Path)
		if err != nil {
			foreign[e.Path] = true
			return
		}
		if te, ok := t.Lstat(r); !ok || (te.Kind != tree.File && te.Kind != tree.Dir) || !inside(r) {
			foreign[e.Path] = true
		}
	}
	for _, d := range real {
		for _, e := range t.ReadDir(d) {
			check(e)
			if e.Kind != tree.Dir || !unitDirSuffix(path.Base(e.Path)) {
				continue
			}
			for _, in := range t.ReadDir(e.Path) {
				check(in)
			}
		}
	}
	out := make([]string, 0, len(foreign))
	for p := range foreign {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// unitDirSuffix: the directories of a search directory systemd reads the
// entries of (drop-ins, and wants and requires links).
func unitDirSuffix(name string) bool {
	return strings.HasSuffix(name, ".d") || strings.HasSuffix(name, ".wants") || strings.HasSuffix(name, ".requires")
}
