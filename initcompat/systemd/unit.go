// Package systemd reads systemd unit files out of an image snapshot: the
// lookup path and its precedence, drop-ins, aliases, masks, templates and
// enablement links. It decides nothing; the shims do.
package systemd

import (
	"bufio"
	"bytes"
	"errors"
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

// LongLineMax is systemd's LONG_LINE_MAX (src/basic/fileio.h, "#define
// LONG_LINE_MAX (1U*1024U*1024U)"), the bound config_parse()
// (src/shared/conf-parser.c) gives read_line(): a line of LongLineMax
// bytes or more, or a continued line longer than it, fails the whole
// file ("Line too long", "Continuation line too long": -ENOBUFS).
// systemd 252 loads a unit whose line is 1,048,575 bytes and refuses one
// of 1,048,576 (TestLongLinesAsSystemdReadsThem, with systemd-analyze).
const LongLineMax = 1 << 20

// ErrLineTooLong is what Parse returns for a file systemd refuses for a
// line's length.
var ErrLineTooLong = errors.New("line too long for systemd (LONG_LINE_MAX, 1 MiB)")

// systemdLines gives data with its lines ended as systemd's read_line()
// ends them (src/basic/fileio.c, read_line_full()): at "\n", "\r" or NUL,
// a pair of different ends ("\r\n", "\n\r") counting as one, so that
// "Description=a\rUser=root" is two assignments, as systemd reads it;
// and it refuses what config_parse() refuses for length.
func systemdLines(data []byte) ([]byte, error) {
	const eolZero, eolLF, eolCR = 1, 2, 4
	kind := func(c byte) int {
		switch c {
		case 0:
			return eolZero
		case '\n':
			return eolLF
		case '\r':
			return eolCR
		}
		return 0
	}
	plain := bytes.IndexByte(data, '\r') < 0 && bytes.IndexByte(data, 0) < 0
	var out bytes.Buffer
	if !plain {
		out.Grow(len(data) + 1)
	}
	continued := 0 // bytes of the continued line so far
	continuing := false
	for i, n := 0, 1; i < len(data); n++ {
		start := i
		for i < len(data) && kind(data[i]) == 0 {
			i++
		}
		line := data[start:i]
		if len(line) >= LongLineMax {
			return nil, fmt.Errorf("line %d is %d bytes: %w", n, len(line), ErrLineTooLong)
		}
		if i < len(data) {
			set := kind(data[i])
			i++
			for set&eolZero == 0 && i < len(data) && kind(data[i]) != 0 && kind(data[i])&set == 0 {
				set |= kind(data[i])
				i++
			}
		}
		if !plain {
			out.Write(line)
			out.WriteByte('\n')
		}
		trimmed := bytes.TrimLeft(line, " \t")
		if len(trimmed) > 0 && (trimmed[0] == '#' || trimmed[0] == ';') {
			continue // config_parse() skips a comment, inside a continuation too
		}
		if continuing {
			continued += len(line)
			if continued > LongLineMax {
				return nil, fmt.Errorf("line %d ends a continued line of %d bytes: %w", n, continued, ErrLineTooLong)
			}
		} else {
			continued = len(line)
		}
		escapes := len(line) - len(bytes.TrimRight(line, "\\"))
		continuing = escapes%2 == 1
	}
	if plain {
		return data, nil
	}
	return out.Bytes(), nil
}

// trickle hands go-systemd's lexer at most a KiB at a time. The lexer
// refuses any line once 2,048 bytes of it sit in its buffer
// (unit.SYSTEMD_LINE_MAX, deserialize.go: "if l.buf.Buffered() >=
// SYSTEMD_LINE_MAX"), a bound of its own that systemd does not have; fed
// this way its buffer never holds that much, and the length rule is
// systemd's, applied by systemdLines. go-systemd has no option for it.
type trickle struct{ r *bytes.Reader }

func (t trickle) Read(p []byte) (int, error) {
	if len(p) > 1024 {
		p = p[:1024]
	}
	return t.r.Read(p)
}

// Parse reads a unit file or drop-in as systemd does: lines ended at
// "\n", "\r" or NUL, up to systemd's LONG_LINE_MAX. path is used in the
// error only.
func Parse(path string, data []byte) ([]*unit.UnitOption, error) {
	data, err := systemdLines(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	br := readers.Get().(*bufio.Reader)
	br.Reset(trickle{bytes.NewReader(data)})
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
