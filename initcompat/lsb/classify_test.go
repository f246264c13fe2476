//go:build linux

package lsb

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// programImage builds an image root holding the fixture programs of
// testdata/programs (C built with the machine's cc, Go with the go
// command) and scripts, at the paths the cases name.
func programImage(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	put := func(p string, data []byte) {
		t.Helper()
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	build := func(out string, args ...string) {
		t.Helper()
		full := filepath.Join(root, out)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		last := len(args) - 1
		cmd := exec.Command(args[0], append(append(args[1:last:last], "-o", full), args[last])...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("%v: %v\n%s", args, err, b)
		}
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler to build the ELF fixtures")
	}
	gobin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	build("opt/fg", cc, "-O1", "testdata/programs/fg.c")
	build("usr/sbin/daemonize", cc, "-O1", "testdata/programs/daemonize.c")
	build("usr/bin/memcached", cc, "-O1", "testdata/programs/optdaemon.c")
	build("usr/sbin/hd-idle", gobin, "build", "./testdata/programs/gofg")
	build("usr/bin/XD", gobin, "build", "./testdata/programs/gofg")
	build("opt/reexec", gobin, "build", "./testdata/programs/goreexec")
	hello := "#!/usr/bin/env bash\nfilename=$1\nwhile (true); do\n  sleep 1\n  date >> /tmp/${filename}.log 2>&1\ndone\n"
	put("opt/daemon_test/hello.sh", []byte(hello))
	put("opt/daemon_test/hello-sysvinit.sh", []byte(hello))
	put("opt/wrap/gowrap.sh", []byte("#!/bin/sh\nexport X=1\nexec "+filepath.Join(root, "usr/sbin/hd-idle")+" \"$@\"\n"))
	put("opt/wrap/bg.sh", []byte("#!/bin/sh\n"+filepath.Join(root, "opt/fg")+" >/dev/null 2>&1 &\necho started\n"))
	put("opt/wrap/elfwrap.sh", []byte("#!/bin/sh\nexec "+filepath.Join(root, "opt/fg")+"\n"))
	sb, err := os.ReadFile("testdata/programs/sickbeard.py")
	if err != nil {
		t.Fatal(err)
	}
	put("opt/sickbeard/SickBeard.py", sb)
	put("opt/py/app.py", []byte("#!/usr/bin/env python3\nimport time\ntime.sleep(3600)\n"))
	return root
}

// lookIn reads a program of the image the way the snapshot keeps it
// (tree.RefsFromDir: the first 64 KiB, an ELF's last 16 KiB, Go's
// markers). Paths inside the image's own scripts are the image root's
// (the wrappers exec by the host path of the fixture), so both are tried.
func lookIn(root string) Lookup {
	return func(p string) (Program, bool) {
		rel := strings.TrimPrefix(p, root)
		refs, err := tree.RefsFromDir(root, []string{rel})
		if err != nil || len(refs) == 0 {
			return Program{}, false
		}
		return ProgramOf(refs[0]), true
	}
}

// ProgramOf is how the lead turns a tree.Ref into a Program; kept here in
// the tests so that lsb needs no import of tree.
func ProgramOf(r *tree.Ref) Program {
	return Program{Path: r.Path, Head: r.Head, Whole: r.Whole(), Tail: r.Tail, Size: r.Size, Markers: r.Markers, Probed: r.Searched}
}

type progCase struct {
	name, path string
	args       []string
	dir        string
	want       Verdict
	basis      string
}

var progCases = []progCase{
	{"c-imports-no-fork", "/opt/fg", nil, "", VerdictForeground, "elf"},
	{"c-daemon(3)", "/usr/sbin/daemonize", nil, "", VerdictUnknown, ""},
	{"memcached-default", "/usr/bin/memcached", []string{"-u", "nobody"}, "", VerdictForeground, "flags"},
	{"memcached-d", "/usr/bin/memcached", []string{"-d", "-u", "nobody"}, "", VerdictDetaches, "flags"},
	{"go-no-forkexec", "/usr/sbin/hd-idle", []string{"-i", "180"}, "", VerdictForeground, "flags"},
	{"go-no-forkexec-untabled", "/usr/bin/XD", []string{"/etc/XD/xd.ini"}, "", VerdictForeground, "go"},
	{"go-reexec", "/opt/reexec", nil, "", VerdictUnknown, ""},
	{"hello-loop", "/opt/daemon_test/hello.sh", []string{"sysvinit"}, "", VerdictForeground, "script"},
	{"wrapper-execs-go", "/opt/wrap/gowrap.sh", nil, "", VerdictForeground, "flags"},
	{"wrapper-backgrounds", "/opt/wrap/bg.sh", nil, "", VerdictDetaches, "script"},
	{"wrapper-execs-c", "/opt/wrap/elfwrap.sh", nil, "", VerdictUnknown, "elf"},
	{"sickbeard-daemon", "/opt/sickbeard/SickBeard.py", []string{"-q", "--daemon", "--nolaunch"}, "", VerdictDetaches, "flags"},
	{"sickbeard-plain", "/opt/sickbeard/SickBeard.py", []string{"-q"}, "", VerdictForeground, "flags"},
	{"python-unknown", "/opt/py/app.py", nil, "", VerdictUnknown, ""},
}

// TestClassifyAgreesWithRunning classifies each fixture from what the
// snapshot would keep of it, then runs it and watches what it does: a
// program said to stay must still run after 2 s in the process started;
// one said to detach must have returned with a process of its left
// running. An unknown verdict claims nothing and is counted.
func TestClassifyAgreesWithRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	root := programImage(t)
	look := lookIn(root)
	agree, unknown := 0, 0
	for _, c := range progCases {
		t.Run(c.name, func(t *testing.T) {
			p, ok := look(c.path)
			if !ok {
				t.Fatalf("%s is not kept by the snapshot", c.path)
			}
			p.Path = c.path
			var args []Word
			for _, a := range c.args {
				args = append(args, Word{Text: a, Known: true})
			}
			cl := Classify(p, Invocation{Args: args, Dir: c.dir}, look)
			t.Logf("%s: %s (%s)\n%s", c.path, cl.Verdict, cl.Basis, strings.Join(cl.Evidence, "\n"))
			if cl.Verdict != c.want || cl.Basis != c.basis {
				t.Errorf("got %s by %q, want %s by %q", cl.Verdict, cl.Basis, c.want, c.basis)
			}
			ran := runAndWatch(t, filepath.Join(root, c.path), c.args)
			switch cl.Verdict {
			case VerdictUnknown:
				unknown++
			case ran:
				agree++
			default:
				t.Errorf("classified %s, but run it %s", cl.Verdict, ran)
			}
		})
	}
	t.Logf("%d programs: %d verdicts agree with running them, %d unknown, %d disagree", len(progCases), agree, unknown, len(progCases)-agree-unknown)
}

// runAndWatch runs prog and says what it did: stayed in the foreground
// (still running after 2 s), or detached (returned with status 0 while
// the pid it wrote runs on). Everything it started is killed after.
func runAndWatch(t *testing.T, prog string, args []string) Verdict {
	t.Helper()
	pidfile := filepath.Join(t.TempDir(), "pid")
	cmd := exec.Command(prog, args...)
	cmd.Env = append(os.Environ(), "PIDFILE="+pidfile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("running %s: %v", prog, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if b, err := os.ReadFile(pidfile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}()
	select {
	case err := <-done:
		if err != nil {
			return VerdictUnknown
		}
		for i := 0; i < 40; i++ {
			if b, err := os.ReadFile(pidfile); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && syscall.Kill(pid, 0) == nil {
					return VerdictDetaches
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		return VerdictUnknown
	case <-time.After(2 * time.Second):
		return VerdictForeground
	}
}

// TestJudgeStartCases judges each start case (testdata/start) against
// the fixture image: the verdict and the programs the snapshot lacks.
func TestJudgeStartCases(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	root := programImage(t)
	look := lookIn(root)
	counts := map[string]int{}
	for _, c := range loadStartCases(t) {
		t.Run(c.name, func(t *testing.T) {
			want, ok := c.want["judge"]
			if !ok {
				t.Fatal("no judge: line")
			}
			j := Judge(ReadStart(c.script, c.defaults), look)
			got := map[Verdict]string{VerdictForeground: "foreground", VerdictDetaches: "detaches", VerdictUnknown: "unknown"}[j.Verdict]
			counts[got]++
			if len(j.Missing) > 0 {
				got += " missing=" + strings.Join(j.Missing, ",")
			}
			if got != want {
				t.Errorf("judge: %s, want %s\n%s", got, want, strings.Join(j.Evidence, "\n"))
			}
		})
	}
	t.Logf("%d start cases: %v", len(loadStartCases(t)), counts)
}

// A variable that undecided branches set to different known values keeps
// them as alternatives: Debian fail2ban 1.0.2-2's /etc/init.d/fail2ban
// adds -x to DAEMON_ARGS only when a socket file exists, and neither value
// is one of fail2ban-client's daemon options, so the documented default
// (it starts the server in the background) decides; when one branch adds
// -f (foreground), nothing is known.
func TestFlagsThroughAlternatives(t *testing.T) {
	client := Program{Path: "/usr/bin/fail2ban-client", Head: []byte("#!/usr/bin/python3\nimport sys\n"), Whole: true, Size: 30}
	look := func(p string) (Program, bool) { return client, p == client.Path }
	for opt, want := range map[string]Verdict{"-x": VerdictDetaches, "-f": VerdictForeground, "-b": VerdictDetaches} {
		script := "#!/bin/sh\nDAEMON=/usr/bin/fail2ban-client\nDAEMON_ARGS=\"\"\n" +
			"if [ -e \"$SOCKFILE\" ]; then DAEMON_ARGS=\"$DAEMON_ARGS " + opt + "\"; fi\n" +
			"start-stop-daemon --start --quiet --exec \"$DAEMON\" -- $DAEMON_ARGS start\n"
		j := Judge(ReadStart([]byte(script), nil), look)
		if opt == "-f" {
			want = VerdictUnknown // one branch keeps it in the foreground, the other not
		}
		if j.Verdict != want {
			t.Errorf("with %s in one branch: %s, want %s\n%s", opt, j.Verdict, want, strings.Join(j.Evidence, "\n"))
		}
	}
}
