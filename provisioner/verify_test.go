package provisioner

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// standInInitctl answers as Upstart 1.12's initctl does for what verify
// asks. Upstart cannot boot here (it needs to be PID 1 of a machine of its
// era), so this stand-in is the one fake of the verify tests: show-config
// -e prints the job with the "stop on" of its override when there is one,
// else of its .conf, as Upstart's override rule has it (init(5),
// "Override files"). INITCOMPAT_FAKE_IGNORE_OVERRIDES makes it an Upstart
// that does not see the override.
const standInInitctl = `#!/bin/sh
# Stand-in for Upstart's initctl: Upstart cannot run here.
case "$1" in
version) echo "init (upstart 1.12.1)" ;;
reload-configuration) ;;
show-config)
	job=$3
	conf="$INITCOMPAT_ROOT/etc/init/$job.conf"
	[ -f "$conf" ] || { echo "initctl: Unknown job: $job" >&2; exit 1; }
	echo "$job"
	sed -n 's/^start on \(.*\)/  start on \1/p' "$conf"
	src=$conf
	if [ -f "$INITCOMPAT_ROOT/etc/init/$job.override" ] && [ -z "${INITCOMPAT_FAKE_IGNORE_OVERRIDES:-}" ]; then src="$INITCOMPAT_ROOT/etc/init/$job.override"; fi
	sed -n 's/^stop on \(.*\)/  stop on \1/p' "$src"
	;;
status) [ -f "$INITCOMPAT_ROOT/etc/init/$2.conf" ] && echo "$2 stop/waiting" ;;
*) echo "initctl: unexpected $*" >&2; exit 1 ;;
esac
`

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
	if err := os.WriteFile(filepath.Join(bin, "initctl"), []byte(standInInitctl), 0o755); err != nil {
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
		"pass    initctl show-config -e mongodb shows the job with its override",
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
	if err == nil || !strings.Contains(err.Error(), "rolled back") || !strings.Contains(err.Error(), "initctl show-config -e mongodb") {
		t.Fatalf("err = %v\n%s", err, out)
	}
	if after := fingerprint(t, dir); after != before {
		t.Fatalf("the image changed:\n%s\n--- before\n%s", after, before)
	}
	if n := len(comm.Commands()); n != 3 {
		t.Errorf("%d remote commands, want 3", n)
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
	if err == nil || !strings.Contains(err.Error(), "Found ordering cycle on x.service/start") {
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
