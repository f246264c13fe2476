package systemd

import (
	"fmt"
	"path"
	"strings"
)

// Specifiers resolves the %-specifiers of systemd.unit(5) ("Specifiers")
// for one unit of the system manager. Those fixed by the unit and the
// system manager are resolved here; those only the booted machine knows
// (%H %l %m %b %v) become a runtime placeholder: a NUL (which no unit value
// holds) and the letter, for the renderer to turn into a lookup made when
// the command runs. Anything else is an error, as systemd logs
// "Failed to resolve specifiers" and ignores the assignment.
type Specifiers struct {
	Unit     string // "hello.service", or "getty@tty1.service"
	Fragment string // the unit file's path (%f of a template's instance is the instance's)
}

// RuntimeSpecifiers are the specifiers resolved when a command runs.
const RuntimeSpecifiers = "Hlmbv"

// Placeholder is how a runtime specifier stands in a resolved value.
func Placeholder(letter byte) string { return "\x00" + string(letter) }

// Expand resolves s. The system manager's own user is root (%u %U %g %G
// %h %s are the manager's, not User='s, since systemd 249).
func (sp Specifiers) Expand(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	prefix := Prefix(sp.Unit)
	inst := ""
	if i := strings.IndexByte(prefix, '@'); i >= 0 {
		inst = prefix[i+1:]
		prefix = prefix[:i]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i >= len(s) {
			return "", fmt.Errorf("a lone %% at the end of %q", s)
		}
		c := s[i]
		var v string
		switch c {
		case '%':
			v = "%"
		case 'n':
			v = sp.Unit
		case 'N':
			v = Prefix(sp.Unit)
		case 'p':
			v = prefix
		case 'P':
			v = Unescape(prefix)
		case 'i':
			v = inst
		case 'I':
			v = Unescape(inst)
		case 'j':
			v = lastDash(prefix)
		case 'J':
			v = Unescape(lastDash(prefix))
		case 'f':
			if inst != "" {
				v = "/" + strings.TrimPrefix(Unescape(inst), "/")
			} else {
				v = "/" + strings.TrimPrefix(Unescape(prefix), "/")
			}
		case 't':
			v = "/run"
		case 'S':
			v = "/var/lib"
		case 'C':
			v = "/var/cache"
		case 'L':
			v = "/var/log"
		case 'E':
			v = "/etc"
		case 'T':
			v = "/tmp"
		case 'V':
			v = "/var/tmp"
		case 'u', 'g':
			v = "root"
		case 'U', 'G':
			v = "0"
		case 'h':
			v = "/root"
		case 's':
			v = "/bin/sh"
		case 'y':
			v = sp.Fragment
		case 'Y':
			v = path.Dir(sp.Fragment)
		case 'd':
			v = "/run/credentials/" + sp.Unit
		default:
			if strings.IndexByte(RuntimeSpecifiers, c) >= 0 {
				v = Placeholder(c)
				break
			}
			return "", fmt.Errorf("specifier %%%c is not one initcompat resolves", c)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

func lastDash(prefix string) string {
	if i := strings.LastIndexByte(prefix, '-'); i >= 0 {
		return prefix[i+1:]
	}
	return prefix
}

// Unescape undoes systemd-escape: "-" is "/", "\xHH" a byte
// (src/basic/unit-name.c, unit_name_unescape).
func Unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '-':
			b.WriteByte('/')
		case s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x':
			var v byte
			if _, err := fmt.Sscanf(s[i+2:i+4], "%02x", &v); err == nil {
				b.WriteByte(v)
				i += 3
				continue
			}
			b.WriteByte(s[i])
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
