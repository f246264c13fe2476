// Package systemd reads systemd unit files out of an image snapshot: the
// lookup path and its precedence, drop-ins, aliases, masks, templates and
// enablement links. It decides nothing; the shims do.
package systemd

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/coreos/go-systemd/v22/unit"
)

// Unit is one unit as systemd would load it.
type Unit struct {
	Name     string // e.g. "hello.service", or "getty@tty1.service"
	Fragment string // real path of the unit file; "" when masked or missing
	Dir      string // lookup directory the fragment was found through
	DropIns  []string
	Masked   bool
	// Options of the fragment followed by those of the drop-ins, in the
	// order systemd applies them.
	Options []*unit.UnitOption
}

// Template reports whether the name is a template ("foo@.service").
func (u *Unit) Template() bool { return IsTemplate(u.Name) }

// Values returns the values of Section/Key after systemd's list semantics:
// each assignment appends its space-separated items, an empty assignment
// resets the list.
func (u *Unit) Values(section, key string) []string {
	var out []string
	for _, o := range u.Options {
		if o.Section != section || o.Name != key {
			continue
		}
		if strings.TrimSpace(o.Value) == "" {
			out = nil
			continue
		}
		out = append(out, strings.Fields(o.Value)...)
	}
	return out
}

// Last returns the last value assigned to Section/Key, or "".
func (u *Unit) Last(section, key string) string {
	v := ""
	for _, o := range u.Options {
		if o.Section == section && o.Name == key {
			v = o.Value
		}
	}
	return strings.TrimSpace(v)
}

// HasInstall reports whether the unit can be enabled: an [Install] section
// with at least one of the keys systemctl enable acts on. Units without one
// are "static".
func (u *Unit) HasInstall() bool {
	for _, o := range u.Options {
		if o.Section != "Install" || strings.TrimSpace(o.Value) == "" {
			continue
		}
		switch o.Name {
		case "WantedBy", "RequiredBy", "UpheldBy", "Alias", "Also":
			return true
		}
	}
	return false
}

// readers are reused across Parse calls: the lexer wraps its input in a
// bufio.Reader, which bufio.NewReader returns as it is when it already is
// one of at least the default size; a fresh 4 KiB buffer per unit was a
// quarter of the bytes a 10,000-unit plan allocated.
var readers = sync.Pool{New: func() any { return bufio.NewReader(nil) }}

// Parse reads a unit file or drop-in. path is used in the error only.
func Parse(path string, data []byte) ([]*unit.UnitOption, error) {
	br := readers.Get().(*bufio.Reader)
	br.Reset(bytes.NewReader(data))
	// DeserializeOptions returns after its lexer has closed its channels,
	// so br is no longer read when it goes back to the pool.
	opts, err := unit.DeserializeOptions(br)
	br.Reset(nil)
	readers.Put(br)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return opts, nil
}

// Unit names: systemd's grammar (unit-name.c), letters, digits and ":-_.\"
// with at most one "@" before the suffix.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?\.(` + strings.Join(Types, "|") + `)$`)

// Types are the unit types, as their names' suffixes (systemd.unit(5)).
var Types = []string{"service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path", "slice", "scope"}

// IsType reports whether s is a unit type's suffix ("service").
func IsType(s string) bool { return slices.Contains(Types, s) }

// ValidName reports whether name is a well-formed unit name.
func ValidName(name string) bool { return len(name) <= 255 && nameRE.MatchString(name) }

// Suffix returns the unit type suffix, "service" for "a.service".
func Suffix(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return ""
}

// Prefix returns the name without its suffix.
func Prefix(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[:i]
	}
	return name
}

// IsTemplate reports "foo@.service".
func IsTemplate(name string) bool { return strings.HasSuffix(Prefix(name), "@") }

// TemplateOf returns "foo@.service" for "foo@bar.service", "" when name is
// not an instance.
func TemplateOf(name string) string {
	p := Prefix(name)
	i := strings.IndexByte(p, '@')
	if i < 0 || i == len(p)-1 {
		return ""
	}
	return p[:i+1] + "." + Suffix(name)
}
