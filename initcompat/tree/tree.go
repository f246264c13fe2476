// Package tree holds the snapshot of the image under construction: the
// watched files, symlinks and directories, read once and then inspected in
// memory. Paths are absolute and clean ("/etc/init.d/hello"); symlinks are
// resolved against the image root, never against the host.
package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

// Kind is what an entry is.
type Kind uint8

// The kinds of entries.
const (
	File Kind = iota + 1
	Symlink
	Dir
)

func (k Kind) String() string {
	switch k {
	case File:
		return "file"
	case Symlink:
		return "symlink"
	case Dir:
		return "dir"
	}
	return "unknown"
}

// DefaultMaxFileSize caps the content kept per file. Unit files and init
// scripts are a few KiB; the cap exists so that a hostile or odd image cannot
// make the snapshot unbounded.
const DefaultMaxFileSize = 8 << 20

// DefaultBudget bounds the content one snapshot keeps in all: an image
// whose watched files pass it (10,000 services read about 40 MiB) has the
// rest recorded, not read (Entry.OverBudget), and the plan says so.
const DefaultBudget = 256 << 20

// Entry is one path of the image.
type Entry struct {
	Path   string
	Kind   Kind
	Mode   fs.FileMode // permission bits only
	Target string      // symlink target, verbatim
	Data   []byte      // file content, nil when Omitted
	Size   int64
	// Omitted is set when the content was not captured: the path is watched
	// for its existence only, or the file is larger than the size cap.
	Omitted  bool
	TooLarge bool
	// OverBudget: TooLarge because the snapshot's budget was spent.
	OverBudget bool
}

// Executable reports whether any execute bit is set.
func (e *Entry) Executable() bool { return e.Mode&0o111 != 0 }

// Tree is an in-memory copy of the watched part of an image.
type Tree struct {
	entries  map[string]*Entry
	children map[string][]*Entry // dir -> its entries, sorted; built lazily
	refs     map[string]*Ref     // files init scripts name (refs.go)
}

// New returns an empty tree.
func New() *Tree { return &Tree{entries: map[string]*Entry{}} }

// ErrBadPath is returned for paths that are not absolute and clean.
var ErrBadPath = errors.New("path is not absolute and clean")

// Add inserts or replaces an entry. Parent directories are implied.
func (t *Tree) Add(e Entry) error { return t.put(&e) }

// put is Add of an entry the tree may keep as it is.
func (t *Tree) put(e *Entry) error {
	if !IsClean(e.Path) || e.Path == "/" {
		return fmt.Errorf("tree: %q: %w", e.Path, ErrBadPath)
	}
	if e.Kind == File && !e.Omitted {
		e.Size = int64(len(e.Data))
	}
	t.entries[e.Path] = e
	t.children = nil
	return nil
}

// IsClean reports whether p is absolute, clean and free of NUL bytes.
func IsClean(p string) bool {
	return strings.HasPrefix(p, "/") && path.Clean(p) == p && !strings.ContainsRune(p, 0)
}

// Len is the number of recorded entries.
func (t *Tree) Len() int { return len(t.entries) }

// Lstat returns the entry at p without following a final symlink. Parent
// directories are not resolved: p must already be a real path. A directory
// that holds recorded entries but was not itself recorded is reported as a
// directory.
func (t *Tree) Lstat(p string) (*Entry, bool) {
	if e, ok := t.entries[p]; ok {
		return e, true
	}
	if p == "/" || len(t.childIndex()[p]) > 0 {
		return &Entry{Path: p, Kind: Dir, Mode: 0o755}, true
	}
	return nil, false
}

// Paths returns every recorded path, sorted.
func (t *Tree) Paths() []string {
	out := make([]string, 0, len(t.entries))
	for p := range t.entries {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// childIndex lists each directory's entries, sorted by name; a directory
// implied by the paths below it (its own entry not recorded) is listed in
// its parent as a plain directory. One pass over the entries, whatever the
// depth.
func (t *Tree) childIndex() map[string][]*Entry {
	if t.children != nil {
		return t.children
	}
	idx := make(map[string][]*Entry, len(t.entries)/8)
	for p, e := range t.entries {
		dir := parentOf(p)
		idx[dir] = append(idx[dir], e)
	}
	dirs := make([]string, 0, len(idx))
	for d := range idx {
		dirs = append(dirs, d)
	}
	implied := map[string]bool{}
	for _, d := range dirs {
		for d != "/" && !implied[d] {
			if _, recorded := t.entries[d]; recorded {
				break
			}
			implied[d] = true
			parent := parentOf(d)
			idx[parent] = append(idx[parent], &Entry{Path: d, Kind: Dir, Mode: 0o755})
			d = parent
		}
	}
	for _, list := range idx {
		sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	}
	t.children = idx
	return idx
}

func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return "/"
}

// ReadDir lists the entries directly inside dir (a real path), sorted by name.
func (t *Tree) ReadDir(dir string) []*Entry {
	return slices.Clone(t.childIndex()[dir])
}

// maxHops bounds symlink resolution, as the kernel does (ELOOP at 40).
const maxHops = 40

// ErrLoop is returned when resolution exceeds maxHops symlinks.
var ErrLoop = errors.New("too many levels of symbolic links")

// Resolve follows every symlink in p, as a process chrooted into the image
// would: absolute targets start at the image root and ".." stops at it, so
// no resolution leaves the image. The result is a real path; it need not
// exist in the tree.
func (t *Tree) Resolve(p string) (string, error) { return t.resolve(p, true) }

// ResolveParent resolves the directories of p but not its last element:
// the real path at which p itself (maybe a symlink) lives.
func (t *Tree) ResolveParent(p string) (string, error) { return t.resolve(p, false) }

func (t *Tree) resolve(p string, followLast bool) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("tree: %q: %w", p, ErrBadPath)
	}
	todo := splitPath(p)
	cur := "/"
	hops := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		e, ok := t.entries[next]
		if !ok || e.Kind != Symlink || (len(todo) == 0 && !followLast) {
			cur = next
			continue
		}
		hops++
		if hops > maxHops {
			return "", fmt.Errorf("tree: resolving %s: %w", p, ErrLoop)
		}
		if strings.HasPrefix(e.Target, "/") {
			cur = "/"
		}
		todo = append(splitPath(e.Target), todo...)
	}
	return cur, nil
}

func splitPath(p string) []string { return strings.Split(strings.Trim(p, "/"), "/") }

// Stat follows symlinks and returns the entry p finally names.
func (t *Tree) Stat(p string) (*Entry, bool) {
	r, err := t.Resolve(p)
	if err != nil {
		return nil, false
	}
	return t.Lstat(r)
}

// Exists reports whether p names anything, following symlinks.
func (t *Tree) Exists(p string) bool { _, ok := t.Stat(p); return ok }

// LExists reports whether p exists itself, even as a dangling symlink.
func (t *Tree) LExists(p string) bool {
	r, err := t.ResolveParent(p)
	if err != nil {
		return false
	}
	_, ok := t.Lstat(r)
	return ok
}

// ReadFile returns the content of the file p names, following symlinks.
func (t *Tree) ReadFile(p string) ([]byte, error) {
	e, ok := t.Stat(p)
	switch {
	case !ok:
		return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	case e.Kind != File:
		return nil, fmt.Errorf("%s: not a regular file", p)
	case e.OverBudget:
		return nil, fmt.Errorf("%s: not read: the snapshot had read its %d-byte budget", p, DefaultBudget)
	case e.TooLarge:
		return nil, fmt.Errorf("%s: larger than the %d-byte snapshot cap", p, DefaultMaxFileSize)
	case e.Omitted:
		return nil, fmt.Errorf("%s: content not captured", p)
	}
	return e.Data, nil
}

// OverBudget lists, sorted, the files the snapshot did not read because
// its budget was spent.
func (t *Tree) OverBudget() []string {
	var out []string
	for p, e := range t.entries {
		if e.OverBudget {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Remove deletes the entry at p (a real path) and everything below it.
func (t *Tree) Remove(p string) {
	for q := range t.entries {
		if q == p || strings.HasPrefix(q, p+"/") {
			delete(t.entries, q)
		}
	}
	t.children = nil
}

// Clone returns a tree that shares entries with t but can be changed
// without changing t.
func (t *Tree) Clone() *Tree {
	c := &Tree{entries: make(map[string]*Entry, len(t.entries)), refs: t.refs}
	for k, v := range t.entries {
		c.entries[k] = v
	}
	return c
}
