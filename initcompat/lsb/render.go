package lsb

import (
	"bytes"
	_ "embed"
	"slices"
	"strconv"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/internal/shellword"
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
	// Sockets are the socket units that activate the unit (validated
	// names): start starts them too, and stop stops them first, or the next
	// connection would start the service again.
	Sockets   []string
	Chkconfig bool // add the Red Hat header
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

// The scripts' actions are shell files of their own; what a script
// holds of its service is data above them: header comments, and
// assignments whose values shellword.Quote makes single words.
var (
	//go:embed redirect.sh
	redirectFile string
	//go:embed initctl.sh
	initctlFile string
	// What a script carries of them: the code, after the file's own
	// opening comment (its shellcheck directives and what it is).
	redirectSh, initctlSh = code(redirectFile), code(initctlFile)
)

// code is a shell file without its opening comment, the lines up to the
// first blank one.
func code(file string) string {
	_, body, _ := strings.Cut(file, "\n\n")
	return "\n" + body
}

// RenderTo writes the script Render returns to b: a planner comparing
// 10,000 scripts with those in the image renders each into one buffer.
func RenderTo(b *bytes.Buffer, r Redirect) {
	b.WriteString("#!/bin/sh\n" + r.Marker + "\n")
	desc := OneLine(r.ShortDesc)
	if desc == "" {
		desc = r.Unit
	}
	if r.Chkconfig {
		b.WriteString("# chkconfig: " + strings.Join(DefaultStart, "") + " " + seq(' ', ChkconfigStart)[1:] + " " + seq(' ', ChkconfigStop)[1:] + "\n")
		b.WriteString("# description: " + desc + " (SysV actions redirected to systemd's " + r.Unit + ")\n")
	}
	b.WriteString("### BEGIN INIT INFO\n")
	headerField(b, "Provides", r.Name)
	headerField(b, "Required-Start", strings.Join(r.RequiredStart, " "))
	headerField(b, "Required-Stop", strings.Join(r.RequiredStop, " "))
	headerField(b, "Default-Start", strings.Join(DefaultStart, " "))
	headerField(b, "Default-Stop", strings.Join(DefaultStop, " "))
	headerField(b, "Short-Description", desc)
	headerField(b, "Description", "SysV init actions for "+r.Name+" go to systemd's "+r.Unit+",")
	b.WriteString("#                    so that update-rc.d, service, invoke-rc.d and\n")
	b.WriteString("#                    cfn-init can control it. systemd itself ignores\n")
	b.WriteString("#                    this script: the native unit has the same name.\n")
	b.WriteString("### END INIT INFO\n\n")
	reload := "no"
	if r.Reload {
		reload = "yes"
	}
	b.WriteString("PATH=/usr/sbin:/usr/bin:/sbin:/bin\nunit=" + shellword.Quote(r.Unit) + "\nreload=" + reload + "\n")
	if len(r.Sockets) > 0 {
		b.WriteString("sockets=" + shellword.Quote(strings.Join(r.Sockets, " ")) + "\n")
	}
	b.WriteString(redirectSh)
}

// headerField writes one LSB header line, its value in the column every
// field's value starts at (update-rc.d reads "# Key: value").
func headerField(b interface{ WriteString(string) (int, error) }, k, v string) {
	key := k + ":"
	if n := 18 - len(key); n > 0 {
		key += strings.Repeat(" ", n)
	}
	_, _ = b.WriteString(strings.TrimRight("# "+key+" "+v, " ") + "\n")
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
		return string(kind) + strconv.Itoa(n)
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
	headerField(&b, "Provides", job)
	b.WriteString("# Required-Start:\n# Required-Stop:\n")
	headerField(&b, "Default-Start", strings.Join(DefaultStart, " "))
	headerField(&b, "Default-Stop", strings.Join(DefaultStop, " "))
	headerField(&b, "Short-Description", desc)
	headerField(&b, "Description", "SysV actions for "+job+" go to Upstart's initctl.")
	b.WriteString("### END INIT INFO\n\n")
	b.WriteString("PATH=/sbin:/usr/sbin:/bin:/usr/bin\njob=" + shellword.Quote(job) + "\n")
	b.WriteString(initctlSh)
	return []byte(b.String())
}
