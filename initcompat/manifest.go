package initcompat

import (
	"encoding/json"
	"fmt"
	"sort"
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
	Path string `json:"path"`
	// "file", "symlink", "dir"; or "removed" for a link of the image's own
	// that a disable took away (Target says what it pointed to).
	Kind    string `json:"kind"`
	SHA256  string `json:"sha256,omitempty"`
	Target  string `json:"target,omitempty"`
	Service string `json:"service,omitempty"`
	Shim    string `json:"shim"`
}

const generator = "initcompat"

// ParseManifest reads a manifest; it fails on anything that is not one.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not an initcompat manifest: %w", err)
	}
	if m.Generator != generator {
		return nil, fmt.Errorf("not an initcompat manifest: generator is %q", m.Generator)
	}
	return &m, nil
}

func (m *Manifest) index() map[string]ManifestEntry {
	out := map[string]ManifestEntry{}
	if m == nil {
		return out
	}
	for _, e := range m.Entries {
		out[e.Path] = e
	}
	return out
}

// next returns the manifest after changes are applied over prev.
func nextManifest(prev *Manifest, version string, changes []Change) []byte {
	idx := prev.index()
	for _, c := range changes {
		e := ManifestEntry{Path: c.Path, Service: c.Service, Shim: c.Shim}
		switch c.Op {
		case OpRemove:
			if old, ours := idx[c.Path]; ours && old.Kind != "removed" {
				delete(idx, c.Path)
				continue
			}
			e.Kind, e.Target = "removed", c.Prior.Target
		case OpMkdir:
			e.Kind = "dir"
		case OpWrite:
			e.Kind, e.SHA256 = "file", c.SHA256
		case OpSymlink:
			e.Kind, e.Target = "symlink", c.Target
		}
		idx[c.Path] = e
	}
	m := Manifest{Generator: generator, Version: version, Entries: make([]ManifestEntry, 0, len(idx))}
	for _, e := range idx {
		m.Entries = append(m.Entries, e)
	}
	sort.Slice(m.Entries, func(i, j int) bool { return m.Entries[i].Path < m.Entries[j].Path })
	b, _ := json.MarshalIndent(m, "", "  ") // plain structs: cannot fail
	return append(b, '\n')
}
