package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
)

// Manifest lists what initcompat has written into an image, so that a later
// run (or a person) can tell its files, links and directories from the
// image's own. It is the last thing an apply writes.
type Manifest struct {
	Generator string          `json:"generator"`
	Version   string          `json:"version"`
	Entries   []ManifestEntry `json:"entries"`
}

// ManifestEntry is one path initcompat made.
type ManifestEntry struct {
	Path    string   `json:"path"`
	Kind    PathKind `json:"kind"`
	SHA256  string   `json:"sha256,omitempty"`
	Target  string   `json:"target,omitempty"`
	Service string   `json:"service,omitempty"`
	Shim    Shim     `json:"shim"`
	// Build is the Packer build that last wrote the path (its build name),
	// so that prune removes only what this build made. Manifests written
	// before it was recorded have none.
	Build string `json:"build,omitempty"`
	// Prior is, for a KindRegenerated file, the sha256 of its content
	// before initcompat first wrote it.
	Prior string `json:"prior,omitempty"`
}

const generator = "initcompat"

// ManifestHeader starts every manifest initcompat writes: recovery proves a
// committed manifest by it (package protocol), without parsing it.
const ManifestHeader = `{"generator": "` + generator + `"`

// ParseManifest reads a manifest; it fails on anything that is not one.
func ParseManifest(data []byte) (*Manifest, error) {
	// Unmarshal appends to the slice it is given: room for one entry per
	// line (how encodeManifest writes them) spares copying 80,000 entries
	// while the slice grows.
	m := Manifest{Entries: make([]ManifestEntry, 0, bytes.Count(data, []byte("\n{")))}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not an initcompat manifest: %w", err)
	}
	if m.Generator != generator {
		return nil, fmt.Errorf("not an initcompat manifest: generator is %q", m.Generator)
	}
	return &m, nil
}

// Index maps each path to its entry in m (the last, should a path be
// listed twice).
func (m *Manifest) Index() map[string]*ManifestEntry {
	if m == nil {
		return map[string]*ManifestEntry{}
	}
	out := make(map[string]*ManifestEntry, len(m.Entries))
	for i := range m.Entries {
		out[m.Entries[i].Path] = &m.Entries[i]
	}
	return out
}

// NextManifest gives the manifest after the changes: the previous one's
// entries (idx indexes them) merged with those the changes make, both in
// path order, and written as they are merged. A run that adds one service
// to 10,000 sorts the few changes it makes, not the 80,000 entries it
// keeps; a fresh plan sorts indexes, not 80,000 structs.
func NextManifest(prev *Manifest, idx map[string]*ManifestEntry, version, build string, changes []Change) []byte {
	var old []ManifestEntry
	if prev != nil {
		old = prev.Entries
	}
	olds := lastByPath(len(old), func(i int) string { return old[i].Path })
	news := lastByPath(len(changes), func(i int) string { return changes[i].Path })
	merged := func(yield func(ManifestEntry) bool) {
		for i, j := 0, 0; i < len(olds) || j < len(news); {
			switch {
			case j == len(news) || (i < len(olds) && old[olds[i]].Path < changes[news[j]].Path):
				if !yield(old[olds[i]]) {
					return
				}
				i++
			case i < len(olds) && old[olds[i]].Path == changes[news[j]].Path:
				i++ // changed: its entry is the change's
			default:
				if e, ok := entryAfter(changes[news[j]], idx, build); ok && !yield(e) {
					return
				}
				j++
			}
		}
	}
	return encodeManifest(version, len(olds)+len(news), merged)
}

// entryAfter is a path's manifest entry after the change; none when the
// change removes a path that was initcompat's.
func entryAfter(c Change, idx map[string]*ManifestEntry, build string) (ManifestEntry, bool) {
	e := ManifestEntry{Path: c.Path, Service: c.Service, Shim: c.Shim, Build: build}
	if c.Shim == ShimPrune && c.Op == OpSymlink {
		return e, false // a link put back is the image's again
	}
	switch c.Op {
	case OpRemove:
		if old := idx[c.Path]; old != nil && old.Kind != KindRemoved {
			return e, false
		}
		e.Kind, e.Target = KindRemoved, c.Prior.Target
	case OpMkdir:
		e.Kind = KindDir
	case OpWrite:
		e.Kind, e.SHA256 = KindFile, c.SHA256
		if c.Regenerates {
			e.Kind, e.Prior = KindRegenerated, c.Prior.SHA256
			if old := idx[c.Path]; old != nil && old.Kind == KindRegenerated {
				e.Prior = old.Prior // the image's own content, before any run
			}
		}
	case OpSymlink:
		e.Kind, e.Target = KindSymlink, c.Target
	}
	return e, true
}

// lastByPath gives the indexes 0..n-1 in the order of their paths, one per
// path: the last of a path given twice, as an index map and the image keep
// it. Paths already in order (a manifest as initcompat writes it) are not
// sorted again.
func lastByPath(n int, pathOf func(int) string) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	byPath := func(a, b int) int {
		if c := strings.Compare(pathOf(a), pathOf(b)); c != 0 {
			return c
		}
		return a - b
	}
	if !slices.IsSortedFunc(order, byPath) {
		slices.SortFunc(order, byPath)
	}
	out := order[:0]
	for k, i := range order {
		if k+1 < len(order) && pathOf(order[k+1]) == pathOf(i) {
			continue
		}
		out = append(out, i)
	}
	return out
}

// encodeManifest writes the manifest as JSON with one entry per line: a
// person reads and greps it, diffs show one line per path, and at 10,000
// services it is a third of the indented form and written ten times
// faster than through reflection.
func encodeManifest(version string, n int, entries iter.Seq[ManifestEntry]) []byte {
	b := make([]byte, 0, 64+n*160)
	b = append(b, `{"generator": `...)
	b = appendJSONString(b, generator)
	b = append(b, `, "version": `...)
	b = appendJSONString(b, version)
	b = append(b, `, "entries": [`...)
	first := true
	for e := range entries {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, "\n{\"path\": "...)
		b = appendJSONString(b, e.Path)
		b = append(b, `, "kind": `...)
		b = appendJSONString(b, string(e.Kind))
		for _, f := range [...]struct{ key, val string }{{"sha256", e.SHA256}, {"target", e.Target}, {"prior", e.Prior}, {"service", e.Service}} {
			if f.val != "" {
				b = append(b, `, "`+f.key+`": `...)
				b = appendJSONString(b, f.val)
			}
		}
		b = append(b, `, "shim": `...)
		b = appendJSONString(b, string(e.Shim))
		if e.Build != "" {
			b = append(b, `, "build": `...)
			b = appendJSONString(b, e.Build)
		}
		b = append(b, '}')
	}
	return append(b, "\n]}\n"...)
}

// appendJSONString appends s as a JSON string (RFC 8259 escapes).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
