//go:build linux

package insserv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The oracle: the real insserv 1.24 of a bookworm tree with sysvinit-core
// (INITCOMPAT_SYSV_ROOT, which e2e sets to its cached image; the test
// copies it) judges Add on a generated matrix of new scripts. For each
// case the new scripts and the links Add numbers are written into a copy
// of the tree, the real insserv is run over it in a chroot, as
// update-rc.d runs it, and its three files must be equivalent to Add's
// (the same targets and the same closure of the order: insserv's byte
// order follows readdir(3), see the package doc), with the new links
// numbered as Add numbered them. Consistent must accept the image before
// and insserv's files after, and Strip must give back the files before,
// byte for byte.

// oracleHeaders are the header fields the matrix combines.
var oracleHeaders = struct {
	requiredStart, shouldStart, startBefore, requiredStop, defaultStart []string
}{
	requiredStart: []string{"", "$remote_fs $syslog", "$network $remote_fs", "$local_fs", "$all", "$named $time", "rmnologin", "+bootlogs $portmap", "$myfac"},
	shouldStart:   []string{"", "$syslog", "networking", "oracle-b"},
	startBefore:   []string{"", "rc.local", "rmnologin"},
	requiredStop:  []string{"", "$remote_fs $syslog", "$network", "$all"},
	defaultStart:  []string{"2 3 4 5", "S"},
}

type oracleScript struct {
	name                                                                string
	requiredStart, shouldStart, startBefore, requiredStop, defaultStart string
	enabled                                                             bool
}

func (s oracleScript) header() string {
	stop := "0 1 6"
	if s.defaultStart == "S" {
		stop = ""
	}
	h := "#!/bin/sh\n### BEGIN INIT INFO\n# Provides:          " + s.name + "\n# Required-Start:    " + s.requiredStart +
		"\n# Required-Stop:     " + s.requiredStop + "\n"
	if s.shouldStart != "" {
		h += "# Should-Start:      " + s.shouldStart + "\n# Should-Stop:       " + s.shouldStart + "\n"
	}
	if s.startBefore != "" {
		h += "# X-Start-Before:    " + s.startBefore + "\n# X-Stop-After:      " + s.startBefore + "\n"
	}
	h += "# Default-Start:     " + s.defaultStart + "\n# Default-Stop:      " + stop + "\n# Short-Description: oracle case\n### END INIT INFO\n:\n"
	return h
}

// oracleCases: each field's values once against a plain script, the
// boot level, a disabled script, and pairs where one new script orders
// after the other.
func oracleCases() [][]oracleScript {
	plain := oracleScript{name: "oracle-a", requiredStart: "$remote_fs $syslog", requiredStop: "$remote_fs $syslog", defaultStart: "2 3 4 5", enabled: true}
	var out [][]oracleScript
	vary := func(f func(s *oracleScript, v string), values []string) {
		for _, v := range values {
			s := plain
			f(&s, v)
			out = append(out, []oracleScript{s})
		}
	}
	h := oracleHeaders
	vary(func(s *oracleScript, v string) { s.requiredStart = v }, h.requiredStart)
	vary(func(s *oracleScript, v string) { s.shouldStart = v }, h.shouldStart)
	vary(func(s *oracleScript, v string) { s.startBefore = v }, h.startBefore)
	vary(func(s *oracleScript, v string) { s.requiredStop = v }, h.requiredStop)
	for _, ds := range h.defaultStart {
		for _, en := range []bool{true, false} {
			for _, rs := range []string{"$local_fs", "$remote_fs", "$all"} {
				s := plain
				s.defaultStart, s.enabled, s.requiredStart = ds, en, rs
				out = append(out, []oracleScript{s})
			}
		}
	}
	for _, rs := range []string{"oracle-b", "$remote_fs oracle-b", "$myfac"} {
		a := plain
		a.requiredStart = rs
		for _, sb := range []string{"", "rc.local"} {
			b := plain
			b.name, b.startBefore = "oracle-b", sb
			out = append(out, []oracleScript{a, b})
		}
	}
	return out
}

func TestOracleInsserv(t *testing.T) {
	base := os.Getenv("INITCOMPAT_SYSV_ROOT")
	if base == "" {
		t.Skip("INITCOMPAT_SYSV_ROOT is not set: a bookworm tree with sysvinit-core and insserv (make e2e sets it)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for chroot")
	}
	work := filepath.Join(os.Getenv("INITCOMPAT_SYSV_WORK"), "")
	if work == "" {
		work = t.TempDir()
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(work, "root")
	pristine := filepath.Join(work, "pristine-etc")
	for _, c := range [][]string{{"rm", "-rf", root, pristine}, {"cp", "-a", base, root}, {"cp", "-a", filepath.Join(base, "etc"), pristine}} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	// A virtual facility from insserv.conf.d, provided by the new script b.
	const conf = "$myfac +oracle-b\n"
	etcDirs := []string{"init.d", "rc0.d", "rc1.d", "rc2.d", "rc3.d", "rc4.d", "rc5.d", "rc6.d", "rcS.d", "insserv.conf.d"}
	reset := func() {
		for _, d := range etcDirs {
			_ = os.RemoveAll(filepath.Join(root, "etc", d))
			if out, err := exec.Command("cp", "-a", filepath.Join(pristine, d), filepath.Join(root, "etc", d)).CombinedOutput(); err != nil {
				t.Fatalf("cp: %v\n%s", err, out)
			}
		}
		if err := os.WriteFile(filepath.Join(root, "etc/insserv.conf.d/oracle"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		// The files as insserv writes them in this directory's readdir
		// order, so that bytes can be compared too.
		if out, err := exec.Command("chroot", root, "/sbin/insserv").CombinedOutput(); err != nil {
			t.Fatalf("insserv: %v\n%s", err, out)
		}
	}
	read := func() *Image {
		tr, err := tree.FromDir(root, Watches(), 0)
		if err != nil {
			t.Fatal(err)
		}
		return Read(tr, "/etc/init.d", rcDirs())
	}
	reset()
	if err := read().Consistent(); err != nil {
		t.Fatalf("the base image's own files: %v", err)
	}
	cases := oracleCases()
	agree, bytewise := 0, 0
	for i, c := range cases {
		reset()
		img := read()
		var news []New
		for _, s := range c {
			h := ParseHeader([]byte(s.header()))
			start, stop := ParseLevels(h.DefaultStart), ParseLevels(h.DefaultStop)
			if !s.enabled {
				stop |= start // update-rc.d NAME disable: every S link becomes a K link
				start = 0
			}
			news = append(news, New{Name: s.name, Header: h, Start: start, Stop: stop})
		}
		res, err := img.Add(news)
		if err != nil {
			t.Fatalf("case %d: Add: %v", i, err)
		}
		for _, n := range news {
			if err := os.WriteFile(filepath.Join(root, "etc/init.d", n.Name), []byte(caseScript(c, n.Name)), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, l := range LinksFor(n, res.StartSeq[n.Name], res.StopSeq[n.Name]) {
				if err := os.Symlink("../init.d/"+n.Name, filepath.Join(root, "etc", l)); err != nil {
					t.Fatal(err)
				}
			}
		}
		out, err := exec.Command("chroot", root, "/sbin/insserv").CombinedOutput()
		if err != nil {
			t.Fatalf("case %d: insserv: %v\n%s", i, err, out)
		}
		after := read()
		desc := fmt.Sprintf("case %d %+v", i, c)
		ok := true
		for _, f := range []string{BootFile, StartFile, StopFile} {
			real := after.Files[f]
			if real == nil {
				t.Fatalf("%s: insserv wrote no %s: %s", desc, f, after.Problem)
			}
			mine := res.Files[f]
			if err := Equivalent(f, real, setOf(mine.Targets), mine.Edges()); err != nil {
				t.Errorf("%s: insserv's %s is not Add's: %v\ninsserv:\n%s\nAdd:\n%s", desc, f, err, real.Render(), mine.Render())
				ok = false
			}
			if real.Render() == mine.Render() {
				bytewise++
			}
			// Strip gives the files before, byte for byte.
			if got, want := Strip(res.Files, names(news))[f].Render(), img.Files[f].Render(); got != want {
				t.Errorf("%s: Strip(%s):\n%s\nwant\n%s", desc, f, got, want)
			}
		}
		if err := after.Consistent(); err != nil {
			t.Errorf("%s: Consistent refuses insserv's own files: %v", desc, err)
			ok = false
		}
		// insserv renumbers the new links by depth: Add's numbers.
		for _, n := range news {
			s := after.Scripts[n.Name]
			for k, q := range s.Seq {
				want := res.StartSeq[n.Name]
				if strings.HasSuffix(k, "/K") {
					want = res.StopSeq[n.Name]
				}
				if q != want {
					t.Errorf("%s: insserv numbered %s %s%02d, Add %02d", desc, n.Name, k, q, want)
					ok = false
				}
			}
		}
		if ok {
			agree++
		}
	}
	t.Logf("insserv oracle: %d of %d cases agree (%d of %d files byte for byte)", agree, len(cases), bytewise, 3*len(cases))
}

func caseScript(c []oracleScript, name string) string {
	for _, s := range c {
		if s.name == name {
			return s.header()
		}
	}
	return ""
}

func setOf(s []string) map[string]bool {
	out := map[string]bool{}
	for _, x := range s {
		out[x] = true
	}
	return out
}

func names(news []New) []string {
	var out []string
	for _, n := range news {
		out = append(out, n.Name)
	}
	slices.Sort(out)
	return out
}

func rcDirs() map[string]string {
	out := map[string]string{}
	for _, l := range []string{"0", "1", "2", "3", "4", "5", "6", "S"} {
		out[l] = "/etc/rc" + l + ".d"
	}
	return out
}

var _ = strconv.Itoa
