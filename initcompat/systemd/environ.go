package systemd

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// ValidEnvName is systemd's env_name_is_valid (src/basic/env-util.c):
// letters, digits and "_", not starting with a digit. These are exactly
// the names a POSIX shell can assign.
func ValidEnvName(s string) bool {
	if s == "" || len(s) > 4096 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'; !ok {
			return false
		}
	}
	return true
}

// ValidEnvValue is env_value_is_valid: UTF-8 without control characters
// other than newline and tab. NUL never reaches a value.
func ValidEnvValue(s string) bool {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return false
		}
	}
	return true
}

// Assignment is one NAME=value.
type Assignment struct {
	Name, Value string
}

// ParseEnvironment reads one Environment= value: its words (SplitWords),
// each NAME=value. bad lists the words systemd drops ("Invalid environment
// assignment, ignoring"). Specifiers must have been resolved in each word
// by the caller (config_parse_environ resolves them after unquoting).
func ParseEnvironment(words []string) (good []Assignment, bad []string) {
	for _, w := range words {
		n, v, ok := strings.Cut(w, "=")
		if !ok || !ValidEnvName(n) || !ValidEnvValue(v) {
			bad = append(bad, w)
			continue
		}
		good = append(good, Assignment{n, v})
	}
	return good, bad
}

// ParseEnvFile reads an EnvironmentFile= the way systemd does
// (src/basic/env-file.c @0002453b101dc85db2be76703a85297a59c646a9,
// parse_env_file_internal, and the cleaning exec_context_load_environment
// does after it): "#" and ";" start comments; a key runs to "=" and loses
// trailing whitespace; an unquoted value keeps inner whitespace, loses
// trailing whitespace, and a backslash keeps the next character (a
// backslash-newline is removed); '…' is verbatim; "…" removes a backslash
// before one of "\`$ and a newline, keeps it before anything else; a
// closing quote goes back to reading the value, so 'a'b is ab. A line
// without "=" is ignored, as is an assignment with an invalid name or
// value. It never runs anything: the file is data.
func ParseEnvFile(data []byte) []Assignment {
	const (
		preKey = iota
		key
		preValue
		value
		valueEscape
		single
		double
		doubleEscape
		comment
		commentEscape
	)
	var out []Assignment
	var k, v strings.Builder
	lastKeyWS, lastValueWS := -1, -1
	state := preKey
	push := func() {
		name := k.String()
		if lastKeyWS >= 0 {
			name = name[:lastKeyWS]
		}
		val := v.String()
		if state == value && lastValueWS >= 0 {
			val = val[:lastValueWS]
		}
		if ValidEnvName(name) && ValidEnvValue(val) {
			// strv_env_replace_consume: a name set again keeps its place.
			i := slices.IndexFunc(out, func(a Assignment) bool { return a.Name == name })
			if i >= 0 {
				out[i].Value = val
			} else {
				out = append(out, Assignment{name, val})
			}
		}
		k.Reset()
		v.Reset()
	}
	isWS := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	isNL := func(c byte) bool { return c == '\n' || c == '\r' }
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == 0 {
			break // read_full_file's string ends at a NUL
		}
		switch state {
		case preKey:
			if c == '#' || c == ';' {
				state = comment
			} else if !isWS(c) {
				state = key
				lastKeyWS = -1
				k.WriteByte(c)
			}
		case key:
			switch {
			case isNL(c):
				state = preKey
				k.Reset()
			case c == '=':
				state = preValue
				lastValueWS = -1
			default:
				if !isWS(c) {
					lastKeyWS = -1
				} else if lastKeyWS < 0 {
					lastKeyWS = k.Len()
				}
				k.WriteByte(c)
			}
		case preValue:
			switch {
			case isNL(c):
				push()
				state = preKey
			case c == '\'':
				state = single
			case c == '"':
				state = double
			case c == '\\':
				state = valueEscape
			case !isWS(c):
				state = value
				v.WriteByte(c)
			}
		case value:
			switch {
			case isNL(c):
				push()
				state = preKey
			case c == '\\':
				state = valueEscape
				lastValueWS = -1
			default:
				if !isWS(c) {
					lastValueWS = -1
				} else if lastValueWS < 0 {
					lastValueWS = v.Len()
				}
				v.WriteByte(c)
			}
		case valueEscape:
			state = value
			if !isNL(c) {
				v.WriteByte(c)
			}
		case single:
			if c == '\'' {
				state = preValue
			} else {
				v.WriteByte(c)
			}
		case double:
			switch c {
			case '"':
				state = preValue
			case '\\':
				state = doubleEscape
			default:
				v.WriteByte(c)
			}
		case doubleEscape:
			state = double
			if strings.IndexByte("\"\\`$", c) >= 0 {
				v.WriteByte(c)
			} else if c != '\n' {
				v.WriteByte('\\')
				v.WriteByte(c)
			}
		case comment:
			if c == '\\' {
				state = commentEscape
			} else if isNL(c) {
				state = preKey
			}
		case commentEscape:
			if isNL(c) {
				state = preKey
			} else {
				state = comment
			}
		}
	}
	switch state {
	case preValue, value, valueEscape, single, double, doubleEscape:
		push()
	}
	return out
}
