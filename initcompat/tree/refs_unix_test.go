//go:build linux

package tree

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// refImage lays out an image whose init script and /etc/default file name
// files of every kind: a daemon script outside /usr/local, an ELF behind an
// absolute link and a merged-/usr directory link, a large ELF (head and
// tail), a Go-like ELF naming syscall.forkExec, a config under /etc, a
// pid file (not executable: not kept), a fifo, a directory, a loop of
// links, links that climb past the root or point at the host's /dev/zero
// and /etc/shadow, and a path with a space (cut in two by the word scan).
func refImage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string, data []byte, mode os.FileMode) {
		t.Helper()
		must(os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755))
		must(os.WriteFile(filepath.Join(dir, p), data, mode))
	}
	link := func(p, target string) {
		t.Helper()
		must(os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755))
		must(os.Symlink(target, filepath.Join(dir, p)))
	}
	write("etc/init.d/hello", []byte(`#!/bin/sh
DAEMON=/opt/daemon_test/hello.sh
[ -r /etc/default/hello ] && . /etc/default/hello
start-stop-daemon --start --exec /usr/sbin/hd-idle --pidfile /var/run/hello.pid -- -c /etc/hello.conf
/bin/big; /opt/go/goprog; /opt/fifo; /opt/dir; /opt/loop; /opt/up; /opt/zero; /opt/shadow
"/opt/my app/bin/d" /opt//twice /opt/./dot /opt/x/../daemon_test/hello.sh
`), 0o755)
	write("etc/default/hello", []byte("DAEMON=/opt/relay/bin/relay.sh\nOPTS=--conf=/etc/relay.conf\n"), 0o644)
	write("etc/rc.d/init.d/other", []byte("exec /opt/relay/bin/relay.sh\n"), 0o755)
	write("opt/daemon_test/hello.sh", []byte("#!/usr/bin/env bash\nwhile (true); do sleep 1; done\n"), 0o755)
	write("opt/relay/bin/relay.sh", []byte("#!/bin/sh\nexec /opt/relay/bin/relayd\n"), 0o755)
	write("etc/hello.conf", []byte("port=1\n"), 0o600)
	write("var/run/hello.pid", []byte("1\n"), 0o644)
	elf := append([]byte("\x7fELF\x02\x01\x01"), bytes.Repeat([]byte{0}, 100<<10)...)
	copy(elf[len(elf)-20:], "TAILTAIL")
	write("opt/hd/hd-idle", elf, 0o755)
	link("usr/sbin/hd-idle", "/opt/hd/hd-idle")
	big := append([]byte("\x7fELF"), bytes.Repeat([]byte("x"), 200<<10)...)
	write("usr/bin/big", big, 0o755)
	link("bin", "usr/bin")
	goprog := append([]byte("\x7fELF\x02\x01\x01"), bytes.Repeat([]byte{1}, (1<<20)-10)...)
	goprog = append(goprog, []byte("\x00syscall.forkExec\x00")...)
	write("opt/go/goprog", goprog, 0o755)
	must(syscall.Mkfifo(filepath.Join(dir, "opt/fifo"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "opt/dir"), 0o755))
	link("opt/loop", "/opt/loop")
	link("opt/up", "../../../../../../opt/daemon_test/hello.sh")
	link("opt/zero", "/dev/zero")
	link("opt/shadow", "/etc/shadow")
	write("opt/my app/bin/d", []byte("#!/bin/sh\n"), 0o755)
	return dir
}

// The snapshot keeps the same files of what init scripts name from both
// sources, by the same rules, and never leaves the image: a link to the
// host's /dev/zero or /etc/shadow resolves inside it (to nothing), a
// fifo is not opened, and links climbing past the root stop at it.
func TestRefsBothSourcesAgree(t *testing.T) {
	dir := refImage(t)
	byDir, err := FromDir(dir, refWatches, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *Tree, 1)
	go func() {
		byTar, err := snapshotBySh(t, dir)
		if err != nil {
			t.Error(err)
		}
		done <- byTar
	}()
	var byTar *Tree
	select {
	case byTar = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("snapshot.sh did not finish (a fifo opened?)")
	}
	if byTar == nil {
		return
	}
	want := map[string]string{
		"/opt/daemon_test/hello.sh":      "/opt/daemon_test/hello.sh",
		"/opt/relay/bin/relay.sh":        "/opt/relay/bin/relay.sh",
		"/usr/sbin/hd-idle":              "/opt/hd/hd-idle",
		"/etc/hello.conf":                "/etc/hello.conf",
		"/etc/relay.conf":                "",
		"/bin/big":                       "/usr/bin/big",
		"/opt/go/goprog":                 "/opt/go/goprog",
		"/opt/up":                        "/opt/daemon_test/hello.sh",
		"/opt/relay/bin/relayd":          "",
		"/var/run/hello.pid":             "",
		"/opt/fifo":                      "",
		"/opt/zero":                      "",
		"/opt/shadow":                    "",
		"/opt/loop":                      "",
		"/opt/dir":                       "",
		"/opt/my":                        "",
		"/opt/x/../daemon_test/hello.sh": "",
	}
	for _, tr := range []*Tree{byDir, byTar} {
		for p, real := range want {
			r, ok := tr.Ref(p)
			switch {
			case real == "" && ok:
				t.Errorf("%s kept (%s), want not", p, r.Real)
			case real != "" && !ok:
				t.Errorf("%s not kept", p)
			case ok && r.Real != real:
				t.Errorf("%s resolved to %s, want %s", p, r.Real, real)
			}
		}
	}
	if d, tr := describeRefs(byDir), describeRefs(byTar); d != tr {
		t.Errorf("FromDir and snapshot.sh disagree:\nFromDir:\n%s\nsnapshot.sh:\n%s", d, tr)
	}
	hd, _ := byTar.Ref("/usr/sbin/hd-idle")
	if hd == nil || len(hd.Head) != RefHead || !bytes.HasSuffix(hd.Tail, append([]byte("TAILTAIL"), make([]byte, 12)...)) || hd.Whole() {
		t.Errorf("hd-idle: head %d, tail %d bytes", len(hd.Head), len(hd.Tail))
	}
	g, _ := byTar.Ref("/opt/go/goprog")
	if g == nil || !g.Searched || !reflect.DeepEqual(g.Markers, []string{"syscall.forkExec"}) {
		t.Errorf("goprog markers: %+v", g)
	}
	if s, _ := byTar.Ref("/opt/daemon_test/hello.sh"); s == nil || !s.Whole() || s.Tail != nil || s.Searched {
		t.Errorf("hello.sh: %+v", s)
	}
}

func describeRefs(t *Tree) string {
	var b strings.Builder
	for _, r := range t.Refs() {
		fmt.Fprintf(&b, "%s -> %s size=%d x=%v head=%d tail=%d searched=%v markers=%v\n", r.Path, r.Real, r.Size, r.Executable, len(r.Head), len(r.Tail), r.Searched, r.Markers)
	}
	return b.String()
}

// The one extra command reads paths the word scan cannot see (a space in
// the path) the same way, and FromDir's counterpart agrees with it.
func TestRefScriptAndRefsFromDirAgree(t *testing.T) {
	dir := refImage(t)
	paths := []string{"/opt/my app/bin/d", "/usr/sbin/hd-idle", "/opt/zero", "relative", "/opt/fifo"}
	var out bytes.Buffer
	cmd := exec.Command("sh", "-c", RefScript(paths))
	cmd.Env = append(os.Environ(), "INITCOMPAT_ROOT="+dir)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	bySh, err := ReadRefs(&out)
	if err != nil {
		t.Fatal(err)
	}
	byDir, err := RefsFromDir(dir, paths)
	if err != nil {
		t.Fatal(err)
	}
	a, b := New(), New()
	a.AddRefs(bySh)
	b.AddRefs(byDir)
	if describeRefs(a) != describeRefs(b) {
		t.Errorf("RefScript:\n%s\nRefsFromDir:\n%s", describeRefs(a), describeRefs(b))
	}
	if len(bySh) != 2 {
		t.Errorf("kept %d, want 2 (the app with a space, hd-idle):\n%s", len(bySh), describeRefs(a))
	}
}

// refWatches are what the kept-file tests snapshot: the init scripts and
// what they source, as the real lists watch them.
var refWatches = []Watch{
	{Path: "etc/init.d", Content: true},
	{Path: "etc/default", Content: true},
	{Path: "etc"}, {Path: "usr/bin"},
}
