package initcompat

import (
	"bytes"
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
	Path    string   `json:"path"`
	Kind    PathKind `json:"kind"`
	SHA256  string   `json:"sha256,omitempty"`
	Target  string   `json:"target,omitempty"`
	Service string   `json:"service,omitempty"`
	Shim    Shim     `json:"shim"`
}

const generator = "initcompat"

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

func (m *Manifest) index() map[string]ManifestEntry {
	if m == nil {
		return map[string]ManifestEntry{}
	}
	out := make(map[string]ManifestEntry, len(m.Entries))
	for _, e := range m.Entries {
		out[e.Path] = e
	}
	return out
}

// nextManifest takes the previous manifest's index (the planner's own, which
// it changes: the manifest is the plan's last step) and gives the manifest
// after the changes.
func nextManifest(idx map[string]ManifestEntry, version string, changes []Change) []byte {
	for _, c := range changes {
		e := ManifestEntry{Path: c.Path, Service: c.Service, Shim: c.Shim}
		switch c.Op {
		case OpRemove:
			if old, ours := idx[c.Path]; ours && old.Kind != KindRemoved {
				delete(idx, c.Path)
				continue
			}
			e.Kind, e.Target = KindRemoved, c.Prior.Target
		case OpMkdir:
			e.Kind = KindDir
		case OpWrite:
			e.Kind, e.SHA256 = KindFile, c.SHA256
		case OpSymlink:
			e.Kind, e.Target = KindSymlink, c.Target
		}
		idx[c.Path] = e
	}
	entries := make([]ManifestEntry, 0, len(idx))
	for _, e := range idx {
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	return encodeManifest(version, entries)
}

// encodeManifest writes the manifest as JSON with one entry per line: a
// person reads and greps it, diffs show one line per path, and at 10,000
// services it is a third of the indented form and written ten times
// faster than through reflection.
func encodeManifest(version string, entries []ManifestEntry) []byte {
	b := make([]byte, 0, 64+len(entries)*160)
	b = append(b, `{"generator": `...)
	b = appendJSONString(b, generator)
	b = append(b, `, "version": `...)
	b = appendJSONString(b, version)
	b = append(b, `, "entries": [`...)
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n{\"path\": "...)
		b = appendJSONString(b, e.Path)
		b = append(b, `, "kind": `...)
		b = appendJSONString(b, string(e.Kind))
		for _, f := range [...]struct{ key, val string }{{"sha256", e.SHA256}, {"target", e.Target}, {"service", e.Service}} {
			if f.val != "" {
				b = append(b, `, "`+f.key+`": `...)
				b = appendJSONString(b, f.val)
			}
		}
		b = append(b, `, "shim": `...)
		b = appendJSONString(b, string(e.Shim))
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
