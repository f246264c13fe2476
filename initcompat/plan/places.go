package plan

import (
	"path"
	"slices"
	"strings"
)

// Places are where initcompat's shims write: directories (everything below
// them is a place too) and single files. The planner's registry holds the
// one list, the union of every shim's footprint; the snapshot watches
// them, dpkg's lists are read for them, and the apply's journal is held to
// them in Go and in sh (where it is sent as data, one place a line).
type Places []string

// NewPlaces is the places given, sorted, once each.
func NewPlaces(ps ...string) Places {
	out := slices.Clone(ps)
	for i, p := range out {
		out[i] = path.Clean(p)
	}
	slices.Sort(out)
	return Places(slices.Compact(out))
}

// Contain reports whether p, an absolute clean path, is a place or lies
// below one: the rule journal.sh's jc_places check applies too.
func (ps Places) Contain(p string) bool {
	for q := p; q != "/" && q != "." && q != ""; q = path.Dir(q) {
		if _, ok := slices.BinarySearch(ps, q); ok {
			return true
		}
	}
	return false
}

// Lines is the places one a line, as the shell reads them.
func (ps Places) Lines() string { return strings.Join(ps, "\n") }

// Above reports whether p, an absolute clean path, is a directory above a
// place: one a plan may make on the way to a place that does not exist
// yet (/etc/systemd for /etc/systemd/system).
func (ps Places) Above(p string) bool {
	i, _ := slices.BinarySearch(ps, p+"/")
	return i < len(ps) && strings.HasPrefix(ps[i], p+"/")
}
