package sysvunit

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
)

// The reading of one script, ported rule by rule from systemd's
// src/sysv-generator/sysv-generator.c. Line numbers are those of Debian
// trixie's systemd 257.13 source (systemd_257.13.orig.tar.gz); the same
// functions, with the same rules, are in systemd/systemd at commit
// 59797f2a6d1b4850d2f0c7266fd9c9eb157d299a, the deprecation-era text that
// v259 (the last release with the generator) shipped. The real generators
// of bookworm (252) and trixie (257) are the oracle (oracle_test.go and
// e2e/nativeunit_test.go).

// stub is the generator's SysvStub (sysv-generator.c:52-65) for one script.
type stub struct {
	name     string // unit name, "hello.service"
	path     string // "/etc/init.d/hello"
	file     string // "hello"
	desc     string
	priority int // sysv_start_priority: the highest S link number, -1 when none
	pidFile  string
	before   []string
	after    []string
	wants    []string
	wantedBy []string // targets whose .wants the rc S links fill
	// linkRunlevels are the runlevels with an S link to the script.
	linkRunlevels []string
	// nAfter and nBefore count the names fix_order gave, kept or not.
	nAfter, nBefore int
	aliases         []string // Provides: names of services (add_alias)
	hasLSB          bool
	reload          bool

	// Not read by the generator: what a native unit needs without one.
	defaultStart     []string // the Default-Start: runlevels (last line wins)
	sawDefaultStart  bool
	descriptionLines int
}

// whitespace is systemd's WHITESPACE (" \t\n\r"), what strstrip() and
// extract_first_word() split on.
const whitespace = " \t\n\r"

// lines splits data as read_line() does (src/basic/fileio.c:1470-1591): a
// line ends at \n, \r or \0, and one ending is any run of those in which no
// kind repeats and nothing follows a \0 ("\r\n", "\n\r\0"). Each line is
// stripped of leading and trailing whitespace (read_stripped_line(),
// fileio.c:1593-1615). A line longer than limit ends the reading, as
// LONG_LINE_MAX (1 MiB) does with -ENOBUFS there; the lines before it
// count.
func lines(data []byte, limit int) []string {
	var out []string
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\n\r\x00")
		if i < 0 {
			i = len(data)
		}
		if i >= limit {
			return out
		}
		out = append(out, strings.Trim(string(data[:i]), whitespace))
		data = data[i:]
		seen := 0
		for len(data) > 0 {
			k := eolKind(data[0])
			if k == 0 || seen&k != 0 || seen&4 != 0 {
				break
			}
			seen |= k
			data = data[1:]
		}
	}
	return out
}

// eolKind is categorize_eol() (fileio.c:1453-1466) as a bit: \n 1, \r 2,
// \0 4, anything else 0.
func eolKind(c byte) int {
	switch c {
	case '\n':
		return 1
	case '\r':
		return 2
	case 0:
		return 4
	}
	return 0
}

// longLineMax is systemd's LONG_LINE_MAX (src/basic/fileio.h): 1 MiB.
const longLineMax = 1 << 20

// hasPrefixFold is startswith_no_case().
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// usageContainsReload is usage_contains_reload() (sysv-generator.c:207-214):
// strcasestr of six spellings of a "reload" alternative in a usage line.
func usageContainsReload(line string) bool {
	l := strings.ToLower(line)
	for _, s := range []string{"{reload|", "{reload}", "{reload\"", "|reload|", "|reload}", "|reload\""} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// words is extract_first_word(..., EXTRACT_UNQUOTE|EXTRACT_RELAX) in a loop
// (src/basic/extract-word.c): words split on whitespace, quotes removed, a
// backslash keeps the next character, an unbalanced quote ends the word.
func words(s string) []string {
	var out []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && quote != '\'':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			in = true
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case strings.IndexByte(whitespace, c) >= 0:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// facilities is the table of sysv_translate_facility()
// (sysv-generator.c:234-315): the LSB facilities, "$" or not; "" means the
// facility is dropped ($local_fs and $syslog: always there under systemd).
var facilities = map[string]string{
	"local_fs":  "",
	"network":   "network-online.target",
	"named":     "nss-lookup.target",
	"portmap":   "rpcbind.target",
	"remote_fs": "remote-fs.target",
	"syslog":    "",
	"time":      "time-sync.target",
}

// translateFacility is sysv_translate_facility(): a known facility maps by
// the table; another "$name" is name.target; a word equal to the script's
// own name (".sh" stripped) is dropped as redundant; any other word is a
// service name (sysv_translate_name). ok is false when nothing is added,
// or when the word is not a name initcompat can write (see translateName).
func (s *stub) translateFacility(word string) (string, bool) {
	n := strings.TrimPrefix(word, "$")
	if t, known := facilities[n]; known {
		return t, t != ""
	}
	if strings.HasPrefix(word, "$") {
		// unit_name_build(n, NULL, ".target"): a name systemd refuses is
		// an error there, and skipped (r <= 0 in the callers).
		t := n + ".target"
		return t, validUnit(t)
	}
	if n == strings.TrimSuffix(s.file, ".sh") {
		return "", false
	}
	return translateName(n)
}

// translateName is sysv_translate_name() (sysv-generator.c:216-232): ".sh"
// stripped, then unit_name_mangle(name, 0) (src/basic/unit-name.c:714-800):
// a valid unit name stays as it is; otherwise "/" becomes "-", every byte
// outside [A-Za-z0-9:-_.\@] becomes \xNN, and ".service" is appended
// unless the result ends in a unit type's suffix; a result that is still
// not a valid unit name is refused. An absolute path would become a mount
// or device unit there; initcompat refuses it (ok false).
func translateName(n string) (string, bool) {
	n = strings.TrimSuffix(n, ".sh")
	if n == "" || strings.HasPrefix(n, "/") {
		return "", false
	}
	if validUnit(n) {
		return n, true
	}
	var b strings.Builder
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c == '/':
			b.WriteByte('-')
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', strings.IndexByte(":-_.\\@", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "\\x%02x", c)
		}
	}
	m := b.String()
	if !systemd.IsType(suffix(m)) {
		m += ".service"
	}
	return m, validUnit(m)
}

// handleProvides is handle_provides() (sysv-generator.c:317-383): a service
// name becomes an alias of the unit; a target is one the unit pulls in and
// starts before ("strictly one-way: the targets do NOT pull in SysV
// services"), network-online.target adding network.target to both.
func (s *stub) handleProvides(text string) {
	for _, w := range words(text) {
		m, ok := s.translateFacility(w)
		if !ok {
			continue
		}
		switch suffix(m) {
		case "service":
			s.aliases = append(s.aliases, m)
		case "target":
			s.before = append(s.before, m)
			s.wants = append(s.wants, m)
			if m == "network-online.target" {
				s.before = append(s.before, "network.target")
				s.wants = append(s.wants, "network.target")
			}
		}
	}
}

// handleDependencies is handle_dependencies() (sysv-generator.c:385-422):
// Required-Start, Should-Start and X-Start-After order the unit after each
// name, X-Start-Before before it; network-online.target (from $network) is
// also pulled in, since nothing else starts it, except by X-Start-Before.
func (s *stub) handleDependencies(key, text string) {
	isBefore := hasPrefixFold(key, "X-Start-Before:")
	for _, w := range words(text) {
		m, ok := s.translateFacility(w)
		if !ok {
			continue
		}
		switch {
		case m == "network-online.target" && !isBefore:
			s.after = append(s.after, m)
			s.wants = append(s.wants, m)
		case isBefore:
			s.before = append(s.before, m)
		default:
			s.after = append(s.after, m)
		}
	}
}

// load is load_sysv() (sysv-generator.c:424-631): one pass over the lines
// with its five states.
func (s *stub) load(data []byte) {
	const (
		normal = iota
		description
		lsb
		lsbDescription
		usageContinuation
	)
	state := normal
	var short, long, chk *string
	set := func(p **string, v string) {
		// empty_to_null(strstrip(...)) then free_and_strdup: an empty
		// value clears what an earlier line set.
		v = strings.Trim(v, whitespace)
		if v == "" {
			*p = nil
			return
		}
		*p = &v
	}
	extend := func(p **string, v string) {
		// strextend_with_separator(&x, " ", j), skipped for an empty j.
		v = strings.Trim(v, whitespace)
		if v == "" {
			return
		}
		if *p == nil {
			*p = &v
			return
		}
		j := **p + " " + v
		*p = &j
	}
	for _, l := range lines(data, longLineMax) {
		if !strings.HasPrefix(l, "#") {
			// The reload heuristic (sysv-generator.c:462-476): a "usage"
			// line, or the lines a trailing backslash continues it onto.
			if state == usageContinuation || (state == normal && strings.Contains(strings.ToLower(l), "usage")) {
				switch {
				case usageContainsReload(l):
					s.reload = true
					state = normal
				case strings.HasSuffix(l, `\`):
					state = usageContinuation
				default:
					state = normal
				}
			}
			continue
		}
		if state == normal && l == "### BEGIN INIT INFO" {
			state = lsb
			s.hasLSB = true
			continue
		}
		if (state == lsb || state == lsbDescription) && l == "### END INIT INFO" {
			state = normal
			continue
		}
		t := strings.TrimLeft(l[1:], whitespace)
		switch state {
		case normal:
			// Red Hat's chkconfig header (sysv-generator.c:494-532).
			if hasPrefixFold(t, "description:") {
				v := t[len("description:"):]
				if strings.HasSuffix(v, `\`) {
					state = description
					v = strings.TrimSuffix(v, `\`)
				}
				set(&chk, v)
			} else if hasPrefixFold(t, "pidfile:") {
				state = normal
				fn := strings.Trim(t[len("pidfile:"):], whitespace)
				if strings.HasPrefix(fn, "/") {
					s.pidFile = fn
				}
			}
		case description:
			// sysv-generator.c:534-548
			v := t
			if strings.HasSuffix(v, `\`) {
				v = strings.TrimSuffix(v, `\`)
			} else {
				state = normal
			}
			extend(&chk, v)
		case lsb, lsbDescription:
			// sysv-generator.c:550-602
			switch {
			case hasPrefixFold(t, "Provides:"):
				state = lsb
				s.handleProvides(t[len("Provides:"):])
			case hasPrefixFold(t, "Required-Start:"), hasPrefixFold(t, "Should-Start:"),
				hasPrefixFold(t, "X-Start-Before:"), hasPrefixFold(t, "X-Start-After:"):
				state = lsb
				i := strings.IndexByte(t, ':')
				s.handleDependencies(t, t[i+1:])
			case hasPrefixFold(t, "Description:"):
				state = lsbDescription
				set(&long, t[len("Description:"):])
				s.descriptionLines = 1
			case hasPrefixFold(t, "Short-Description:"):
				state = lsb
				set(&short, t[len("Short-Description:"):])
			case state == lsbDescription:
				if strings.HasPrefix(l, "#\t") || strings.HasPrefix(l, "#  ") {
					extend(&long, t)
					s.descriptionLines++
				} else {
					state = lsb
				}
			}
			// Not the generator's: Default-Start, for the [Install]
			// section a native unit needs (update-rc.d reads the same
			// key; insserv and update-rc.d take the last line).
			if hasPrefixFold(t, "Default-Start:") {
				s.sawDefaultStart = true
				s.defaultStart = words(t[len("Default-Start:"):])
			}
		}
	}
	// sysv-generator.c:606-626: the short description, else chkconfig's,
	// else the long one, prefixed by where it came from.
	var d *string
	switch {
	case short != nil:
		d = short
	case chk != nil:
		d = chk
	case long != nil:
		d = long
	}
	if d != nil {
		if s.hasLSB {
			s.desc = "LSB: " + *d
		} else {
			s.desc = "SYSV: " + *d
		}
	}
}
