package systemd

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"
)

// Source is where an option was set: a unit file or drop-in and the
// 1-based line its assignment starts on (0 when it cannot be told).
type Source struct {
	File string
	Line int
}

func (s Source) String() string {
	if s.Line == 0 {
		return s.File
	}
	return s.File + ":" + itoa(s.Line)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// LocateOptions returns the line each option of opts (as Parse returned
// them for data) starts on. go-systemd's parser keeps no line numbers, so
// the assignments are found again the way systemd reads a unit file
// (src/shared/conf-parser.c: sections in brackets, "#" and ";" comments,
// a trailing backslash continues the line) and matched to the options in
// order by key; an option with no match gets 0.
func LocateOptions(data []byte, opts []*unit.UnitOption) []int {
	type assign struct {
		section, key string
		line         int
	}
	var found []assign
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	section, n, cont := "", 0, false
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		wasCont := cont
		cont = strings.HasSuffix(strings.TrimRight(line, " "), `\`)
		if wasCont {
			continue
		}
		switch {
		case trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';':
		case trimmed[0] == '[':
			if i := strings.IndexByte(trimmed, ']'); i > 0 {
				section = trimmed[1:i]
			}
		default:
			if k, _, ok := strings.Cut(trimmed, "="); ok {
				found = append(found, assign{section, strings.TrimSpace(k), n})
			}
		}
	}
	out := make([]int, len(opts))
	next := 0
	for i, o := range opts {
		for j := next; j < len(found); j++ {
			if found[j].section == o.Section && found[j].key == o.Name {
				out[i], next = found[j].line, j+1
				break
			}
		}
	}
	return out
}

// Sources returns where each of u.Options was set, in the same order: the
// fragment's options, then each drop-in's.
func (s *Store) Sources(u *Unit) []Source {
	out := make([]Source, 0, len(u.Options))
	for _, f := range append([]string{u.Fragment}, u.DropIns...) {
		if f == "" {
			continue
		}
		data, err := s.t.ReadFile(f)
		if err != nil {
			continue
		}
		opts, err := Parse(f, data)
		if err != nil {
			continue
		}
		for _, l := range LocateOptions(data, opts) {
			out = append(out, Source{File: f, Line: l})
		}
	}
	for len(out) < len(u.Options) {
		out = append(out, Source{File: u.Fragment})
	}
	return out[:len(u.Options)]
}
