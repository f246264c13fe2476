//go:build linux

package provisioner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// standInInitctl is the one fake of the verify tests (testdata/
// initctl-standin.sh): the real Upstart runs in e2e, booted and in session
// mode; here a stand-in prints what it prints (TestStandInInitctl).
func standInInitctl(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "initctl-standin.sh"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// initctlQuestions are e2e's (TestInitctlRecord), which recorded the real
// Upstart 1.13.2's answers to them in testdata/initctl-real.txt.
var initctlQuestions = []string{
	"show-config -e mongodb", "show-config mongodb", "show-config -e rc-sysinit", "show-config rc-sysinit",
	"show-config -e web", "show-config web", "status mongodb", "status rc-sysinit",
	"show-config -e nosuch", "status nosuch",
}

// The stand-in says what the real initctl says, word for word, over the
// jobs the record was made from.
func TestStandInInitctl(t *testing.T) {
	root := t.TempDir()
	jobs := filepath.Join(root, "etc", "init")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := filepath.Glob(filepath.Join("testdata", "initctl-jobs", "*"))
	if err != nil || len(src) == 0 {
		t.Fatalf("no recorded jobs: %v", err)
	}
	for _, f := range src {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(jobs, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(t.TempDir(), "initctl")
	if err := os.WriteFile(bin, []byte(standInInitctl(t)), 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, q := range initctlQuestions {
		cmd := exec.Command(bin, strings.Fields(q)...)
		cmd.Env = append(os.Environ(), "INITCOMPAT_ROOT="+root)
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "$ initctl %s\n%s(exit %d)\n", q, out, code)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "initctl-real.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("the stand-in says:\n%s\nthe real initctl (testdata/initctl-real.txt):\n%s", b.String(), want)
	}
}

// upstartImage is a small Trusty-like image with a respawning job that has
// no stop on, and the stand-in initctl first in PATH.
func upstartImage(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "root")
	files := map[string]string{
		"etc/os-release":           "ID=ubuntu\nVERSION_ID=\"14.04\"\n",
		"sbin/init":                "",
		"sbin/initctl":             "",
		"lib/init/upstart-job":     "#!/bin/sh\n",
		"etc/init/mongodb.conf":    "start on runlevel [2345]\nrespawn\nexec /usr/bin/mongod\n",
		"etc/init/rc-sysinit.conf": "start on filesystem and static-network-up\nstop on runlevel\ntask\nexec /etc/init.d/rc S\n",
	}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"etc/init.d", "var/lib"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "initctl"), []byte(standInInitctl(t)), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

func provisionRemote(t *testing.T, dir string, raw map[string]interface{}) (*shellComm, string, error) {
	t.Helper()
	raw["use_sudo"] = false
	p := new(Provisioner)
	if err := p.Prepare(raw); err != nil {
		t.Fatal(err)
	}
	comm := &shellComm{Root: dir}
	ui := newRecordUI(t)
	err := p.Provision(context.Background(), ui, comm, map[string]interface{}{"ConnType": "ssh", "User": "root"})
	return comm, ui.String(), err
}

// On an Upstart machine (the stand-in initctl), verify reloads Upstart's
// configuration and asks show-config for the job with its override: a
// third command, after which the apply is finished.
func TestVerifyUpstartStandIn(t *testing.T) {
	dir := upstartImage(t)
	comm, out, err := provisionRemote(t, dir, map[string]interface{}{})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := len(comm.Commands()); n != 3 {
		t.Errorf("%d remote commands with verify, want 3 (snapshot, apply, verify)", n)
	}
	for _, want := range []string{
		"pass    Upstart takes the override of mongodb (initctl show-config -e mongodb)",
		"pass    initctl knows the job behind /etc/init.d/mongodb",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	for _, gone := range []string{"var/lib/.initcompat-journal", "var/lib/.initcompat-verify-baseline", "etc/init/.initcompat-old"} {
		if _, err := os.Lstat(filepath.Join(dir, gone)); err == nil {
			t.Errorf("%s left after a passed verify", gone)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "etc/init/mongodb.override")); err != nil {
		t.Errorf("the override is not in place: %v", err)
	}
}

// An Upstart that does not see the override fails the check: the build
// fails with initctl's words and the image is as before the build.
func TestVerifyUpstartRollsBack(t *testing.T) {
	dir := upstartImage(t)
	t.Setenv("INITCOMPAT_FAKE_IGNORE_OVERRIDES", "1")
	before := fingerprint(t, dir)
	comm, out, err := provisionRemote(t, dir, map[string]interface{}{})
	if err == nil || !strings.Contains(err.Error(), "rolled back") || !strings.Contains(err.Error(), "Upstart takes the override of mongodb") {
		t.Fatalf("err = %v\n%s", err, out)
	}
	if after := fingerprint(t, dir); after != before {
		t.Fatalf("the image changed:\n%s\n--- before\n%s", after, before)
	}
	if n := len(comm.Commands()); n != 3 {
		t.Errorf("%d remote commands, want 3", n)
	}
}

// The seed's case: the daemon runs while the build writes its override.
// Upstart keeps a running job's class until it stops, so show-config
// shows no stop on yet; verify passes, keeps the override, and says it is
// pending until the job's next start (the booted proof is e2e's
// TestUpstartBootedVerify).
func TestVerifyUpstartRunningJobPending(t *testing.T) {
	dir := upstartImage(t)
	t.Setenv("INITCOMPAT_FAKE_RUNNING", "mongodb")
	_, out, err := provisionRemote(t, dir, map[string]interface{}{})
	if err != nil {
		t.Fatalf("verify failed a correct override of a running job: %v\n%s", err, out)
	}
	for _, want := range []string{
		"1 of 2 checks passed, 1 pending until the job's next start",
		"pending Upstart takes the override of mongodb",
		"mongodb start/running, process 4242",
		"takes effect at the job's next start",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "etc/init/mongodb.override")); err != nil {
		t.Errorf("the override was rolled back: %v", err)
	}
}

// verify = false: two commands, whatever the machine.
func TestVerifyOffIsTwoCommands(t *testing.T) {
	dir := upstartImage(t)
	comm, out, err := provisionRemote(t, dir, map[string]interface{}{"verify": false})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := len(comm.Commands()); n != 2 || strings.Contains(out, "verify:") {
		t.Errorf("%d remote commands and %q, want 2 and no verify", n, out)
	}
}

// root_dir: systemd-analyze on this host checks the tree offline. A line
// it says only after the apply, naming a unit the plan touched, rolls the
// apply back. The analyzer here is a stand-in that reports a cycle once
// the redirect exists; the real one runs in TestVerifyLocalRealAnalyzer.
func TestVerifyLocalRollsBack(t *testing.T) {
	dir := helloImage(t)
	bin := t.TempDir()
	fake := "#!/bin/sh\n# Stand-in for systemd-analyze verify --root=DIR.\nroot=${2#--root=}\n" +
		"[ -e \"$root/etc/init.d/hello\" ] && echo 'hello.service: Found ordering cycle on x.service/start' && echo 'x.service: Found dependency on hello.service/start'\n" +
		"echo 'multi-user.target: a problem that was there before'\nexit 0\n"
	if err := os.WriteFile(filepath.Join(bin, "systemd-analyze"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	before := fingerprint(t, dir)
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir}); err != nil {
		t.Fatal(err)
	}
	ui := newRecordUI(t)
	err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"})
	// The tool's words once, in the UI; the build's error (Packer prints
	// it twice) names the check.
	if err == nil || strings.Count(ui.String(), "Found ordering cycle on x.service/start") != 1 || strings.Contains(err.Error(), "Found ordering cycle") ||
		!strings.Contains(err.Error(), "rolled back: failed: systemd-analyze verify finds nothing new that involves the units initcompat touched") {
		t.Fatalf("err = %v\n%s", err, ui.String())
	}
	if strings.Contains(ui.String(), "a problem that was there before") {
		t.Errorf("a line from before the apply was reported:\n%s", ui.String())
	}
	if after := fingerprint(t, dir); after != before {
		t.Fatalf("the image changed:\n%s\n--- before\n%s", after, before)
	}
}

// With the host's real systemd-analyze, the hello image verifies clean.
func TestVerifyLocalRealAnalyzer(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("no systemd-analyze on this host (.ci/run installs systemd)")
	}
	dir := helloImage(t)
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir}); err != nil {
		t.Fatal(err)
	}
	ui := newRecordUI(t)
	if err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"}); err != nil {
		t.Fatalf("%v\n%s", err, ui.String())
	}
	if !strings.Contains(ui.String(), "pass    systemd-analyze verify finds nothing new that involves the units initcompat touched") {
		t.Fatalf("no offline verify:\n%s", ui.String())
	}
	if _, err := os.Lstat(filepath.Join(dir, "var/lib/.initcompat-verify-baseline")); err == nil {
		t.Error("the baseline was left behind")
	}
}

// mode = "check" reports drift: a file of initcompat's edited, a link of
// its removed, a link a disable removed put back; each named, and the
// check fails.
func TestCheckReportsDrift(t *testing.T) {
	dir := helloImage(t)
	apply := func(mode string) (string, error) {
		p := new(Provisioner)
		if err := p.Prepare(map[string]interface{}{"root_dir": dir, "mode": mode, "verify": false}); err != nil {
			t.Fatal(err)
		}
		ui := newRecordUI(t)
		err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"})
		return ui.String(), err
	}
	if out, err := apply("apply"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := apply("check"); err != nil {
		t.Fatalf("a fresh apply does not check clean: %v\n%s", err, out)
	}
	script := filepath.Join(dir, "etc/init.d/hello")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n# edited by a person\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "etc/rc3.d/S01hello")); err != nil {
		t.Fatal(err)
	}
	out, err := apply("check")
	if err == nil || !strings.Contains(err.Error(), "2 path(s) have drifted") {
		t.Fatalf("err = %v\n%s", err, out)
	}
	for _, want := range []string{
		"[drift hello] /etc/init.d/hello: edited since initcompat wrote it (lsb-redirect)",
		"[drift hello] /etc/rc3.d/S01hello: initcompat made this link (lsb-redirect, to ../init.d/hello) and it has been removed since",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// stubTransport is a transport the provisioner does not know: verifies
// asks it, with what verify = true said, and takes its answer.
type stubTransport struct {
	transport
	asked []bool
}

func (s *stubTransport) canVerify(_ *tree.Tree, _ *plan.Plan, asked bool) (bool, string, error) {
	s.asked = append(s.asked, asked)
	if asked {
		return false, "the stub cannot when asked", nil
	}
	return true, "", nil
}

// Whether an apply is verified is the transport's to say (canVerify),
// for each setting of verify: root_dir needs systemd and this host's
// systemd-analyze (an error when verify = true asked for it), the
// communicator a running init system unless verify = true; verify = false
// never asks the transport, and a third transport answers for itself.
func TestVerifyAsTheTransportCan(t *testing.T) {
	booted := tree.New()
	if err := booted.Add(tree.Entry{Path: "/run/systemd/system", Kind: tree.Dir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	pl := func(init inspect.InitSystem) *plan.Plan {
		return &plan.Plan{Summary: plan.Summary{Init: string(init)}}
	}
	cases := []struct {
		name   string
		tr     transport
		t      *tree.Tree
		pl     *plan.Plan
		verify interface{} // nil: unset
		ok     bool
		why    string // a part of it
		err    string
	}{
		{"root_dir, analyzer", &local{analyzer: "/usr/bin/systemd-analyze"}, tree.New(), pl(inspect.Systemd), nil, true, "", ""},
		{"root_dir, no analyzer", &local{}, tree.New(), pl(inspect.Systemd), nil, false, "no systemd-analyze", ""},
		{"root_dir, no analyzer, asked", &local{}, tree.New(), pl(inspect.Systemd), true, false, "", "needs systemd-analyze on this host"},
		{"root_dir, Upstart", &local{analyzer: "/usr/bin/systemd-analyze"}, tree.New(), pl(inspect.Upstart), true, false, "only systemd's can be checked offline", ""},
		{"root_dir, off", &local{analyzer: "/usr/bin/systemd-analyze"}, tree.New(), pl(inspect.Systemd), false, false, "", ""},
		{"remote, not booted", &remote{}, tree.New(), pl(inspect.Systemd), nil, false, "no init system runs in this image", ""},
		{"remote, not booted, asked", &remote{}, tree.New(), pl(inspect.Systemd), true, true, "", ""},
		{"remote, booted", &remote{}, booted, pl(inspect.Systemd), nil, true, "", ""},
		{"remote, booted, off", &remote{}, booted, pl(inspect.Systemd), false, false, "", ""},
		{"remote, Upstart", &remote{}, tree.New(), pl(inspect.Upstart), nil, true, "", ""},
		{"stub", &stubTransport{}, tree.New(), pl(inspect.Systemd), nil, true, "", ""},
		{"stub, asked", &stubTransport{}, tree.New(), pl(inspect.Systemd), true, false, "the stub cannot when asked", ""},
	}
	for _, c := range cases {
		raw := map[string]interface{}{}
		if c.verify != nil {
			raw["verify"] = c.verify
		}
		p := new(Provisioner)
		if err := p.Prepare(raw); err != nil {
			t.Fatal(err)
		}
		ok, why, err := p.verifies(c.tr, c.t, c.pl)
		if ok != c.ok || !strings.Contains(why, c.why) || (c.why == "" && why != "") ||
			(c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: verifies = %v, %q, %v; want %v, %q, %q", c.name, ok, why, err, c.ok, c.why, c.err)
		}
	}
	off := &stubTransport{}
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"verify": false}); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := p.verifies(off, tree.New(), pl(inspect.Systemd)); ok || len(off.asked) != 0 {
		t.Errorf("verify = false: verified %v, the transport asked %d times", ok, len(off.asked))
	}
}
