// Package insserv keeps Debian's boot order when initcompat adds init
// scripts to a SysV image.
//
// Debian's /lib/init/rc (sysv-rc 3.06) boots with CONCURRENCY=makefile
// whenever /etc/init.d/.depend.boot, .depend.start and .depend.stop are
// non-empty: it runs `startpar -M boot|start|stop`, and startpar
// (makeboot.c, parse_makefile and check_run_files/filter_files) runs only
// the TARGETS those files list that also have a link in the runlevel's rc
// directory. A script they do not list never runs at boot, whatever its
// links. insserv writes them (insserv.c, makedep).
//
// insserv's output is not a function of the image's files: it walks
// /etc/init.d in readdir(3) order (insserv.c, main: "the underterministic
// sequence returned by readdir"), and the order of TARGETS and the
// dependency lists it prunes (MINIMAL_DEPEND) follow that walk. The same
// bookworm tree gave three different .depend.boot files on two ext4
// directories and a tmpfs. What startpar runs is the same each time: the
// same targets, and the same order between them (the transitive closure
// of the dependency lines). That is what this package keeps and what its
// oracle test holds it to against the real insserv 1.24: it adds a new
// script's target and dependency lines to the files the image has, as
// insserv would order it, and never rewrites a line a person or insserv
// wrote; Strip takes exactly those additions out again.
//
// Sources: insserv 1.24.0 (insserv.c: scan_lsb_headers, scan_conf_file,
// cfgfile_filter, the script filter in main, rememberreq, reversereq,
// makedep; listing.c: lsort, listscripts), startpar 0.65 (makeboot.c),
// sysv-rc 3.06 (/lib/init/rc).
package insserv

import (
	"bytes"
	"regexp"
	"strings"
)

// Header is what insserv reads of a script's LSB comment block.
type Header struct {
	Provides, RequiredStart, RequiredStop, ShouldStart, ShouldStop []string
	// StartBefore and StopAfter are X-Start-Before and X-Stop-After
	// (insserv(8)): this script starts before, and stops after, those.
	StartBefore, StopAfter    []string
	DefaultStart, DefaultStop []string
	Interactive               bool
	// Found: a "### BEGIN INIT INFO" block was read.
	Found bool
}

// The keys as insserv matches them (insserv.c, COMM, VALUE and the key
// macros), case-insensitive, the first of each after the last
// "### BEGIN INIT INFO" and before "### END INIT INFO".
var headerKeys = []struct {
	re  *regexp.Regexp
	set func(h *Header, v []string)
}{
	{regexp.MustCompile(`(?i)^#[ \t]*provides:[ \t]*(.*)`), func(h *Header, v []string) { h.Provides = v }},
	{regexp.MustCompile(`(?i)^#[ \t]*required[-_]+start:[ \t]*(.*)`), func(h *Header, v []string) { h.RequiredStart = v }},
	{regexp.MustCompile(`(?i)^#[ \t]*required[-_]+stop:[ \t]*(.*)`), func(h *Header, v []string) { h.RequiredStop = v }},
	{regexp.MustCompile(`(?i)^#[ \t]*(?:x[-_]+[a-z0-9_-]*)?should[-_]+start:[ \t]*(.*)`), func(h *Header, v []string) { h.ShouldStart = v }},
	{regexp.MustCompile(`(?i)^#[ \t]*(?:x[-_]+[a-z0-9_-]*)?should[-_]+stop:[ \t]*(.*)`), func(h *Header, v []string) { h.ShouldStop = v }},
	{regexp.MustCompile(`(?i)^#[ \t]*(?:x[-_]+[a-z0-9_-]*)?start[-_]+before:[ \t]*(.*)`), func(h *Header, v []string) { h.StartBefore = v }},
	{regexp.MustCompile(`(?i)^#[ \t]*(?:x[-_]+[a-z0-9_-]*)?stop[-_]+after:[ \t]*(.*)`), func(h *Header, v []string) { h.StopAfter = v }},
	{regexp.MustCompile(`(?i)^#[ \t]*default[-_]+start:[ \t]*(.*)`), func(h *Header, v []string) { h.DefaultStart = v }},
	{regexp.MustCompile(`(?i)^#[ \t]*default[-_]+stop:[ \t]*(.*)`), func(h *Header, v []string) { h.DefaultStop = v }},
	{regexp.MustCompile(`(?i)^#[ \t]*(?:x[-_]+[a-z0-9_-]*)?interactive:[ \t]*(.*)`), func(h *Header, v []string) {
		h.Interactive = len(v) == 1 && v[0] == "true"
	}},
}

// ParseHeader reads a script's header as insserv does.
func ParseHeader(data []byte) Header {
	var h Header
	in := false
	seen := make([]bool, len(headerKeys))
	for _, line := range bytes.Split(data, []byte("\n")) {
		l := string(line)
		if !in {
			if strings.Contains(l, "### BEGIN INIT INFO") {
				in, h = true, Header{}
				clear(seen)
			}
			continue
		}
		if strings.Contains(l, "### END INIT INFO") {
			h.Found = true
			break
		}
		for i, k := range headerKeys {
			if seen[i] {
				continue
			}
			if m := k.re.FindStringSubmatch(l); m != nil {
				seen[i] = true
				k.set(&h, tokens(printable(m[1])))
			}
		}
	}
	return h
}

// printable is the value up to its first character that is not
// [[:print:]] (VALUE's match ends there).
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return s[:i]
		}
	}
	return s
}
