// Package sysvunittest holds the generated matrix of init scripts that the
// generator oracles (sysvunit's TestGeneratorOracle, offline; e2e's
// TestNativeUnitsMatrixBooted, through a booted systemd) run the real
// systemd-sysv-generator and package sysvunit over.
package sysvunittest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Script is one script of the generated matrix.
type Script struct {
	Name  string
	Text  string
	Mode  fs.FileMode
	Links []string // "2 S01name": an rc link to the script
}

// Matrix is the oracle's generated set of init scripts: every facility
// and kind of name in every dependency key and in Provides, runlevel
// layouts of links and Default-Start, header-less scripts ordered by their
// S numbers, the description sources and their continuations, the reload
// heuristic, Red Hat pid files, spellings of the header, names the
// generator strips or skips, and hostile text.
func Matrix() []Script {
	var out []Script
	header := func(lines ...string) string {
		return "#!/bin/sh\n### BEGIN INIT INFO\n" + strings.Join(lines, "\n") + "\n### END INIT INFO\nexit 0\n"
	}
	add := func(name, text string, links ...string) {
		out = append(out, Script{Name: name, Text: text, Mode: 0o755, Links: links})
	}
	tokens := []string{"$local_fs", "$network", "$remote_fs", "$named", "$time", "$portmap", "$syslog", "$all",
		"$x-custom", "network", "remote_fs", "other-svc", "other.sh", "self", `"quoted"`, "foo.target", "foo.socket", "a\\ b"}
	keys := []string{"Required-Start", "Should-Start", "X-Start-Before", "X-Start-After", "Provides", "Required-Stop", "Should-Stop", "required-start", "PROVIDES"}
	for ki, k := range keys {
		for ti, tok := range tokens {
			name := fmt.Sprintf("dep-%d-%d", ki, ti)
			tok = strings.ReplaceAll(tok, "self", name)
			if strings.EqualFold(k, "Provides") && !strings.HasPrefix(tok, "$") && tok != "network" && tok != "remote_fs" {
				tok = fmt.Sprintf("%s-p%d%d", strings.Trim(tok, `"`), ki, ti) // aliases unique to the script
				if strings.Contains(tok, name) {
					tok = name
				}
			}
			add(name, header("# "+k+": "+tok, "# Short-Description: "+k+" "+tok))
		}
	}
	// Several tokens on one line, and the same key on two lines.
	add("deps-many", header("# Required-Start: $network $remote_fs db cache", "# Required-Start: $time", "# Should-Start: $named web", "# X-Start-Before: $network late"))
	// Runlevel layouts: the links and Default-Start.
	layouts := [][]string{{"2", "3", "4", "5"}, {"2"}, {"3", "4"}, {"5"}, {"1"}, {"1", "2", "3", "4", "5"}, {"S"}, {"0", "6"}, {}}
	for i, rls := range layouts {
		name := fmt.Sprintf("rl-%d", i)
		var links []string
		for _, rl := range rls {
			links = append(links, fmt.Sprintf("%s S%02d%s", rl, 10+i, name))
		}
		links = append(links, "0 K01"+name, "6 K01"+name)
		add(name, header("# Provides: "+name, "# Default-Start: "+strings.Join(rls, " "), "# Default-Stop: 0 1 6"), links...)
		// The same links on a script without a header.
		add(name+"-nohdr", "#!/bin/sh\nexit 0\n", strings.ReplaceAll(strings.Join(links, "\n"), name, name+"-nohdr"))
	}
	// fix_order: header-less scripts with S numbers, against each other
	// and against scripts with headers.
	for _, p := range []int{5, 20, 20, 50, 99} {
		name := fmt.Sprintf("prio-%02d-%d", p, len(out))
		add(name, "#!/bin/sh\n# legacy\nexit 0\n", fmt.Sprintf("2 S%02d%s", p, name), fmt.Sprintf("3 S%02d%s", p-1, name))
	}
	add("prio-lsb-30", header("# Provides: prio-lsb-30"), "2 S30prio-lsb-30")
	// Link names: .sh stripped, short or malformed ones ignored, a K link
	// in an up runlevel ignored, a link to a missing script ignored.
	add("linked.sh", "#!/bin/sh\nexit 0\n", "2 S40linked.sh")
	add("oddlinks", header("# Provides: oddlinks"), "2 S4", "3 Sx1oddlinks", "4 K10oddlinks", "5 s10oddlinks")
	out[len(out)-1].Links = append(out[len(out)-1].Links, "2 S10missing-script")
	// Descriptions.
	add("desc-short", header("# Short-Description: short one", "# Description: long one"))
	add("desc-long", header("# Description: long one", "#\tcontinued by tab", "#  continued by spaces", "# not continued"))
	add("desc-empty-short", header("# Short-Description:", "# Description: the long one"))
	add("desc-chkconfig", "#!/bin/sh\n# chkconfig: 2345 10 90\n# description: Red Hat style \\\n#              continued\n### BEGIN INIT INFO\n# Provides: desc-chkconfig\n### END INIT INFO\n")
	add("desc-chkconfig-only", "#!/bin/sh\n# chkconfig: 2345 10 90\n# Description: a Red Hat one\n")
	add("desc-case", header("# short-description: lower case keys", "# provides: desc-case"))
	add("desc-indent", "#!/bin/sh\n   ### BEGIN INIT INFO\n#Provides: desc-indent\n#Short-Description:no space after the hash\n  ### END INIT INFO\n")
	add("desc-unterminated", "#!/bin/sh\n### BEGIN INIT INFO\n# Short-Description: no END line\n# Required-Start: $network\necho \"Usage: x {start|stop|reload}\"\n")
	// The reload heuristic.
	for i, l := range []string{`echo "Usage: $0 {start|stop|reload|force-reload}"`, `echo "Usage: $0 {start|stop|restart}"`,
		`echo "usage: $0 {start|reload}" >&2`, `echo "Usage: $0 {start|stop|\` + "\n" + `reload|status}"`,
		`# Usage: {start|reload}`, `echo "Usage: x {start|stop|reload}"`, `echo "Usage: x {reload}"`, `log "USAGE: {start|stop|reload\"}"`,
		`echo "$0 {start|stop|reload}"`} {
		add(fmt.Sprintf("reload-%d", i), header("# Provides: reload-x")[:0]+"#!/bin/sh\n"+l+"\n")
		add(fmt.Sprintf("reload-lsb-%d", i), header("# Provides: reload-lsb")+l+"\n")
	}
	// Red Hat pid files.
	add("pid-abs", "#!/bin/sh\n# pidfile: /var/run/pid-abs.pid\n")
	add("pid-rel", "#!/bin/sh\n# pidfile: var/run/pid-rel.pid\n")
	add("pid-lsb", header("# Provides: pid-lsb")+"# pidfile: /run/pid-lsb.pid\n")
	// Names.
	add("named.sh", header("# Provides: named.sh"))
	add("dup", "#!/bin/sh\n")
	add("nativeish", "#!/bin/sh\n")
	add("native-one", header("# Provides: native-one"), "2 S01native-one")
	add("masked-one", header("# Provides: masked-one"))
	add("prov-native", header("# Provides: prov-native native-one masked-one"))
	add("plus+sign", "#!/bin/sh\n", "2 S01plus+sign")
	add("inst@ance", "#!/bin/sh\n")
	add("with space", "#!/bin/sh\n")
	add("backup.bak", "#!/bin/sh\n")
	add("backup.dpkg-dist", "#!/bin/sh\n")
	add("tilde~", "#!/bin/sh\n")
	add(".hidden", "#!/bin/sh\n")
	out = append(out, Script{Name: "not-exec", Text: "#!/bin/sh\n", Mode: 0o644}, Script{Name: "group-exec", Text: "#!/bin/sh\n", Mode: 0o654})
	// Hostile text.
	add("percent", header("# Short-Description: 100% sure %n %i"))
	add("trailing-backslash", header("# Short-Description: ends in a backslash \\"))
	add("not-utf8", header("# Short-Description: bad \xff\xfe bytes"))
	add("cr-line", header("# Short-Description: before\r# Provides: cr-alias\x00# X-Start-Before: after-nul"))
	add("crlf", strings.ReplaceAll(header("# Provides: crlf", "# Required-Start: $remote_fs", "# Short-Description: dos line ends"), "\n", "\r\n"))
	add("tabs", header("#\tProvides:\tcrtab", "# Short-Description:\tleading tab"))
	return out
}

// Natives are the native units the matrix's image has: a unit file and a
// mask, which the scripts of the same names and their Provides meet.
var Natives = map[string]string{"native-one.service": "[Service]\nExecStart=/bin/true\n", "masked-one.service": ""}

// Write lays the matrix out as an image under root: the scripts in
// etc/init.d, their rc links, the native units in etc/systemd/system (the
// mask as a link to /dev/null).
func Write(root string) error {
	for _, s := range Matrix() {
		p := filepath.Join(root, "etc/init.d", s.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(s.Text), s.Mode); err != nil {
			return err
		}
		if err := os.Chmod(p, s.Mode); err != nil {
			return err
		}
		for _, l := range s.Links {
			rl, name, _ := strings.Cut(l, " ")
			d := filepath.Join(root, "etc", "rc"+rl+".d")
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			if err := os.Symlink("../init.d/"+s.Name, filepath.Join(d, name)); err != nil && !os.IsExist(err) {
				return err
			}
		}
	}
	d := filepath.Join(root, "etc/systemd/system")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	for n, text := range Natives {
		var err error
		if text == "" {
			err = os.Symlink("/dev/null", filepath.Join(d, n))
		} else {
			err = os.WriteFile(filepath.Join(d, n), []byte(text), 0o644)
		}
		if err != nil && !os.IsExist(err) {
			return err
		}
	}
	return nil
}
