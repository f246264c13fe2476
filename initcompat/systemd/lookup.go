package systemd

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/internal/parallel"
)

// SearchPath is the system unit search path in precedence order, as far as
// it lives in an image at rest (/run matters when the snapshot is taken on a
// booted machine). /lib/systemd/system is last because split-/usr Debian
// still installs there.
var SearchPath = []string{
	"/etc/systemd/system",
	"/run/systemd/system",
	"/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system",
	"/lib/systemd/system",
}

// VendorDir reports whether dir is below /usr or /lib: read-only on some
// images, and never written by initcompat.
func VendorDir(dir string) bool {
	return strings.HasPrefix(dir, "/usr/") || strings.HasPrefix(dir, "/lib/")
}

// Dir is one search-path directory with its real location in the image.
type Dir struct {
	Path string // as in SearchPath
	Real string // after resolving symlinked parents (/lib -> usr/lib)
}

// Problem is something in the image that could not be read; the unit it
// concerns is skipped, and the shims turn it into a Finding.
type Problem struct {
	Path string
	Err  error
}

// Store indexes the unit files of an image.
type Store struct {
	t    *tree.Tree
	dirs []Dir
	// names maps a unit name to the search dirs holding an entry of that name.
	names    map[string][]int
	units    map[string]*Unit
	wants    map[string][]Want
	aliases  map[string][]string
	skip     map[string]bool
	parsed   map[string]parsedFile // by Preparse; read-only after it
	Problems []Problem
}

type parsedFile struct {
	opts []*unit.UnitOption
	err  error
}

// NewStore reads the search path of t. Drop-ins with a name in skip are
// left out: initcompat recomputes its own drop-ins on every run rather than
// reading them back.
func NewStore(t *tree.Tree, skip ...string) *Store {
	s := &Store{t: t, names: map[string][]int{}, units: map[string]*Unit{}, skip: map[string]bool{}}
	for _, n := range skip {
		s.skip[n] = true
	}
	seen := map[string]bool{}
	for _, d := range SearchPath {
		real, err := t.Resolve(d)
		if err != nil || seen[real] {
			continue
		}
		if e, ok := t.Lstat(real); !ok || e.Kind != tree.Dir {
			continue
		}
		seen[real] = true
		s.dirs = append(s.dirs, Dir{Path: d, Real: real})
		for _, e := range t.ReadDir(real) {
			n := path.Base(e.Path)
			if ValidName(n) {
				s.names[n] = append(s.names[n], len(s.dirs)-1)
			}
		}
	}
	return s
}

// Names lists every unit name with an entry in a search directory, sorted.
func (s *Store) Names() []string {
	out := make([]string, 0, len(s.names))
	for n := range s.names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Entry returns the highest-precedence search-path entry for name.
func (s *Store) Entry(name string) (*tree.Entry, Dir, bool) {
	for _, i := range s.names[name] {
		if e, ok := s.t.Lstat(path.Join(s.dirs[i].Real, name)); ok {
			return e, s.dirs[i], true
		}
	}
	return nil, Dir{}, false
}

// AliasOf returns the unit name an alias symlink points to, or "" when name
// is not an alias (a unit file, a link to a same-named file, or a mask).
func (s *Store) AliasOf(name string) string {
	e, _, ok := s.Entry(name)
	if !ok || e.Kind != tree.Symlink || isNull(e.Target) {
		return ""
	}
	if t := path.Base(e.Target); t != name && ValidName(t) {
		return t
	}
	return ""
}

func isNull(target string) bool { return path.Clean(target) == "/dev/null" }

// Load returns the unit as systemd would load it, following aliases. It
// returns nil when no file of that name (or of its template) exists.
func (s *Store) Load(name string) *Unit {
	if u, ok := s.units[name]; ok {
		return u
	}
	u := s.load(name, 0)
	s.units[name] = u
	return u
}

func (s *Store) load(name string, depth int) *Unit {
	if depth > 8 {
		return nil
	}
	u := &Unit{Name: name}
	e, dir, ok := s.Entry(name)
	if !ok {
		tmpl := TemplateOf(name)
		if tmpl == "" {
			return nil
		}
		if e, dir, ok = s.Entry(tmpl); !ok {
			return nil
		}
	}
	u.Dir = dir.Path
	switch e.Kind {
	case tree.Symlink:
		if isNull(e.Target) {
			u.Masked = true
			return u
		}
		if alias := path.Base(e.Target); alias != path.Base(e.Path) && ValidName(alias) {
			return s.load(alias, depth+1)
		}
		real, err := s.t.Resolve(e.Path)
		if err != nil {
			s.Problems = append(s.Problems, Problem{Path: e.Path, Err: err})
			return nil
		}
		if te, ok := s.t.Stat(real); ok && te.Kind == tree.File {
			u.Fragment = real
		} else {
			s.Problems = append(s.Problems, Problem{Path: e.Path,
				Err: fmt.Errorf("dangling symlink to %s: remove it or restore its target", e.Target)})
			return nil
		}
	case tree.File:
		u.Fragment = e.Path
	default:
		return nil
	}
	opts, err := s.parse(u.Fragment)
	if err != nil {
		s.Problems = append(s.Problems, Problem{Path: u.Fragment, Err: err})
		return nil
	}
	u.Options = opts
	for _, d := range s.dropIns(name) {
		opts, err := s.parse(d)
		if err != nil {
			s.Problems = append(s.Problems, Problem{Path: d, Err: err})
			continue
		}
		u.DropIns = append(u.DropIns, d)
		u.Options = append(u.Options, opts...)
	}
	return u
}

// Preparse parses every unit file the search path shows, on all
// processors, ahead of the Loads that ask for them one by one: parsing is
// most of loading, and a 10,000-service image loads every unit.
func (s *Store) Preparse() {
	var files []*tree.Entry
	for _, n := range s.Names() {
		if e, _, ok := s.Entry(n); ok && e.Kind == tree.File && !e.Omitted {
			files = append(files, e)
		}
	}
	out := make([]parsedFile, len(files))
	_ = parallel.For(len(files), func(i int) error {
		out[i].opts, out[i].err = Parse(files[i].Path, files[i].Data)
		return nil
	})
	s.parsed = make(map[string]parsedFile, len(files))
	for i, e := range files {
		s.parsed[e.Path] = out[i]
	}
}

func (s *Store) parse(p string) ([]*unit.UnitOption, error) {
	if r, ok := s.parsed[p]; ok {
		return r.opts, r.err
	}
	data, err := s.t.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return Parse(p, data)
}

// dropIns lists the drop-in files of name in the order systemd applies them:
// sorted by file name, a name in a higher-precedence directory hiding the
// same name below, and "/dev/null" drop-ins masking it.
func (s *Store) dropIns(name string) []string {
	bases := []string{name + ".d"}
	if t := TemplateOf(name); t != "" {
		bases = append([]string{t + ".d"}, bases...)
	}
	chosen := map[string]string{}
	for _, d := range s.dirs {
		for _, b := range bases {
			for _, e := range s.t.ReadDir(path.Join(d.Real, b)) {
				n := path.Base(e.Path)
				if !strings.HasSuffix(n, ".conf") || s.skip[n] {
					continue
				}
				if _, taken := chosen[n]; taken {
					continue
				}
				if e.Kind == tree.Symlink && isNull(e.Target) {
					chosen[n] = ""
					continue
				}
				chosen[n] = e.Path
			}
		}
	}
	names := make([]string, 0, len(chosen))
	for n, p := range chosen {
		if p != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = chosen[n]
	}
	return out
}
