package lsb

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Redirect describes a redirect script for one systemd service.
type Redirect struct {
	Name          string // /etc/init.d name, validated by the caller
	Unit          string // "hello.service"
	Marker        string // first comment line, naming initcompat and its version
	RequiredStart []string
	RequiredStop  []string
	ShortDesc     string
	Reload        bool // the unit has ExecReload=; otherwise reload exits 3
	Chkconfig     bool // add the Red Hat header
}

// The runlevels every redirect declares: update-rc.d aborts on an empty
// Default-Start, and these are what systemd-sysv-generator maps to
// multi-user.target and graphical.target.
var (
	DefaultStart = []string{"2", "3", "4", "5"}
	DefaultStop  = []string{"0", "1", "6"}
)

// Sequence numbers of the rc links. S01/K01 are what update-rc.d writes
// without insserv; chkconfig systems take theirs from the header.
const (
	ChkconfigStart = 20
	ChkconfigStop  = 80
)

// renderedSize is a little more than a redirect script with long names
// (1.4 KiB with short ones).
const renderedSize = 2 << 10

// Render writes the script. Every value that reaches it is either a
// validated name or a single comment line with control characters removed.
func Render(r Redirect) []byte {
	var b bytes.Buffer
	b.Grow(renderedSize) // one allocation per script rather than a doubling chain
	RenderTo(&b, r)
	return b.Bytes()
}

// RenderTo writes the script Render returns to b: a planner comparing
// 10,000 scripts with those in the image renders each into one buffer.
func RenderTo(b *bytes.Buffer, r Redirect) {
	b.WriteString("#!/bin/sh\n")
	fmt.Fprintf(b, "%s\n", r.Marker)
	desc := OneLine(r.ShortDesc)
	if desc == "" {
		desc = r.Unit
	}
	if r.Chkconfig {
		fmt.Fprintf(b, "# chkconfig: %s %02d %02d\n", strings.Join(DefaultStart, ""), ChkconfigStart, ChkconfigStop)
		fmt.Fprintf(b, "# description: %s (SysV actions redirected to systemd's %s)\n", desc, r.Unit)
	}
	b.WriteString("### BEGIN INIT INFO\n")
	field := func(k, v string) {
		line := strings.TrimRight(fmt.Sprintf("# %-18s %s", k+":", v), " ")
		b.WriteString(line + "\n")
	}
	field("Provides", r.Name)
	field("Required-Start", strings.Join(r.RequiredStart, " "))
	field("Required-Stop", strings.Join(r.RequiredStop, " "))
	field("Default-Start", strings.Join(DefaultStart, " "))
	field("Default-Stop", strings.Join(DefaultStop, " "))
	field("Short-Description", desc)
	field("Description", "SysV init actions for "+r.Name+" go to systemd's "+r.Unit+",")
	b.WriteString("#                    so that update-rc.d, service, invoke-rc.d and\n")
	b.WriteString("#                    cfn-init can control it. systemd itself ignores\n")
	b.WriteString("#                    this script: the native unit has the same name.\n")
	b.WriteString("### END INIT INFO\n\n")
	fmt.Fprintf(b, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nunit='%s'\n\n", r.Unit)
	b.WriteString(`# sd_booted(3): systemd is PID 1 only when this directory exists. In a
# chroot or an image build there is no systemd to ask, and starting the
# daemon from here would run it outside its unit.
if [ ! -d /run/systemd/system ]; then
	echo "$0: systemd is not running here; not running '${1:-}' for $unit" >&2
	case "${1:-}" in
	status) exit 4 ;;
	stop | try-restart) exit 0 ;;
	*) exit 1 ;;
	esac
fi

case "${1:-}" in
start | stop | restart | try-restart)
	systemctl "$1" "$unit"
	;;
`)
	if r.Reload {
		b.WriteString(`reload)
	systemctl reload "$unit"
	;;
force-reload)
	systemctl try-reload-or-restart "$unit"
	;;
`)
	} else {
		b.WriteString(`reload)
	echo "$0: $unit has no ExecReload=; use restart" >&2
	exit 3
	;;
force-reload)
	systemctl try-restart "$unit"
	;;
`)
	}
	b.WriteString(`status)
	systemctl --no-pager status "$unit"
	;;
*)
	echo "Usage: $0 {start|stop|restart|try-restart|reload|force-reload|status}" >&2
	exit 2
	;;
esac
`)
}

// OneLine keeps s to one printable line, so it cannot end the comment or
// the unit-file value it is written into.
func OneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// Link is one rc symlink: /etc/rcN.d/[SK]NNname -> ../init.d/name.
type Link struct {
	Runlevel string // "2"
	Name     string // "S01hello"
	Target   string // "../init.d/hello"
}

// Links is the rc link layout for a script whose service is enabled or not:
// start links in Default-Start when enabled, kill links everywhere else.
// This is what update-rc.d writes (defaults, then disable) without insserv.
func Links(name string, enabled bool, startSeq, stopSeq int) []Link {
	out := make([]Link, 0, 7)
	for _, rl := range []string{"0", "1", "2", "3", "4", "5", "6"} {
		start := enabled && slices.Contains(DefaultStart, rl)
		l := Link{Runlevel: rl, Target: "../init.d/" + name}
		if start {
			l.Name = seq('S', startSeq) + name
		} else {
			l.Name = seq('K', stopSeq) + name
		}
		out = append(out, l)
	}
	return out
}

// seq is an rc link's prefix, S or K and two digits (as "%c%02d" writes
// it, without fmt: Links runs for every service of a 10,000-service plan).
func seq(kind byte, n int) string {
	if n < 0 || n > 99 {
		return fmt.Sprintf("%c%02d", kind, n)
	}
	return string([]byte{kind, byte('0' + n/10), byte('0' + n%10)})
}

// RenderInitctl writes an LSB script for an Upstart job on an image without
// /lib/init/upstart-job: every action goes to initctl, and status exits 3
// when the job is stopped (initctl status alone exits 0 for a stopped job).
func RenderInitctl(job, marker, desc string) []byte {
	desc = OneLine(desc)
	if desc == "" {
		desc = "Upstart job " + job
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\n" + marker + "\n### BEGIN INIT INFO\n")
	fmt.Fprintf(&b, "# %-18s %s\n", "Provides:", job)
	b.WriteString("# Required-Start:\n# Required-Stop:\n")
	fmt.Fprintf(&b, "# %-18s %s\n# %-18s %s\n", "Default-Start:", strings.Join(DefaultStart, " "), "Default-Stop:", strings.Join(DefaultStop, " "))
	fmt.Fprintf(&b, "# %-18s %s\n", "Short-Description:", desc)
	fmt.Fprintf(&b, "# %-18s SysV actions for %s go to Upstart's initctl.\n### END INIT INFO\n\n", "Description:", job)
	fmt.Fprintf(&b, "PATH=/sbin:/usr/sbin:/bin:/usr/bin\njob='%s'\n\n", job)
	b.WriteString(`state() { initctl status "$job" 2>/dev/null | sed -n 's/^[^ ]* \([a-z]*\)\/.*/\1/p'; }

case "${1:-}" in
start)
	[ "$(state)" = start ] && exit 0
	initctl start "$job"
	;;
stop)
	[ "$(state)" = stop ] && exit 0
	initctl stop "$job"
	;;
restart | force-reload)
	if [ "$(state)" = start ]; then initctl restart "$job"; else initctl start "$job"; fi
	;;
try-restart)
	[ "$(state)" = start ] || exit 0
	initctl restart "$job"
	;;
reload)
	initctl reload "$job"
	;;
status)
	out=$(initctl status "$job") || exit 4
	echo "$out"
	case "$out" in
	*start/running*) exit 0 ;;
	*) exit 3 ;;
	esac
	;;
*)
	echo "Usage: $0 {start|stop|restart|try-restart|reload|force-reload|status}" >&2
	exit 2
	;;
esac
`)
	return []byte(b.String())
}
