// Package lsb reads the LSB comment header of SysV init scripts and writes
// the redirect script that hands every action of an /etc/init.d name to its
// systemd unit, with the rc links update-rc.d expects beside it.
package lsb

import (
	"bufio"
	"bytes"
	"strings"
)

// Header is the "### BEGIN INIT INFO" block of an init script, plus the
// Red Hat "# chkconfig:" line.
type Header struct {
	Provides      []string
	RequiredStart []string
	RequiredStop  []string
	ShouldStart   []string
	ShouldStop    []string
	DefaultStart  []string
	DefaultStop   []string
	ShortDesc     string
	Description   string
	Chkconfig     string // "2345 20 80", "" when absent
}

// ParseHeader reads the LSB header of script. ok is false when the script
// has no complete "### BEGIN INIT INFO" ... "### END INIT INFO" block, which
// update-rc.d refuses.
func ParseHeader(script []byte) (h Header, ok bool) {
	sc := bufio.NewScanner(bytes.NewReader(script))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	in, last := false, ""
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if v, found := strings.CutPrefix(line, "# chkconfig:"); found && h.Chkconfig == "" {
			h.Chkconfig = strings.Join(strings.Fields(v), " ")
			continue
		}
		switch {
		case line == "### BEGIN INIT INFO":
			in = true
			continue
		case line == "### END INIT INFO":
			if in {
				ok = true
			}
			in = false
			continue
		case !in:
			continue
		}
		body, isComment := strings.CutPrefix(line, "#")
		if !isComment {
			continue
		}
		// A continuation line starts with "#" and a tab or two spaces.
		if last != "" && (strings.HasPrefix(body, "\t") || strings.HasPrefix(body, "  ")) {
			if last == "Description" {
				h.Description = strings.TrimSpace(h.Description + " " + strings.TrimSpace(body))
			}
			continue
		}
		key, val, found := strings.Cut(strings.TrimSpace(body), ":")
		if !found {
			last = ""
			continue
		}
		last = key
		val = strings.TrimSpace(val)
		switch key {
		case "Provides":
			h.Provides = strings.Fields(val)
		case "Required-Start":
			h.RequiredStart = strings.Fields(val)
		case "Required-Stop":
			h.RequiredStop = strings.Fields(val)
		case "Should-Start":
			h.ShouldStart = strings.Fields(val)
		case "Should-Stop":
			h.ShouldStop = strings.Fields(val)
		case "Default-Start":
			h.DefaultStart = strings.Fields(val)
		case "Default-Stop":
			h.DefaultStop = strings.Fields(val)
		case "Short-Description":
			h.ShortDesc = val
		case "Description":
			h.Description = val
		}
	}
	return h, ok
}

// Facilities maps systemd units to the LSB facilities systemd-sysv-generator
// maps the other way, so that a redirect script declares the same ordering
// its unit has.
var Facilities = map[string]string{
	"local-fs.target":       "$local_fs",
	"network.target":        "$network",
	"network-online.target": "$network",
	"remote-fs.target":      "$remote_fs",
	"nss-lookup.target":     "$named",
	"time-sync.target":      "$time",
	"time-set.target":       "$time",
	"rpcbind.target":        "$portmap",
	"syslog.target":         "$syslog",
	"syslog.socket":         "$syslog",
}

// FacilitiesFor maps unit names (After= values) to LSB facilities, in the
// order they first appear, without duplicates. Units with no facility are
// dropped: they have no meaning to update-rc.d.
func FacilitiesFor(units []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range units {
		f, ok := Facilities[u]
		if !ok || seen[f] {
			continue
		}
		seen[f] = true
		out = append(out, f)
	}
	return out
}
