//go:build linux

package confine

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree/treetest"
)

// needRoot skips without root (a mount namespace of its own takes it, or
// a user namespace this host may refuse); under INITCOMPAT_E2E=1 (.ci/run
// runs as root) it fails instead.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("INITCOMPAT_E2E") == "1" {
		t.Fatal("confining a program takes root here")
	}
	t.Skip("confining a program takes root here")
}

// run runs program confined to dir with args, as the provisioner does.
func run(t *testing.T, dir, program string, args ...string) (string, error) {
	t.Helper()
	p, err := Prepare(context.Background(), program)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	name, argv := p.Command(dir, work, false, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, argv...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish: %s", program, out)
	}
	status := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		status = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return Output(string(out), status)
}

// image is a small image: /etc/hostname, and what add makes.
func image(t *testing.T, add func(dir string) error) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "image")
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/hostname"), []byte("the-image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if add != nil {
		if err := add(dir); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("no %s here", name)
	}
	return p
}

// An absolute link of the image resolves in the image, and a link to a
// file of the host reaches nothing: cat, confined, reads /etc/hostname
// through a link to it, and not the host's file.
func TestLinksResolveInTheImage(t *testing.T) {
	needRoot(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("CANARY-host-only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := image(t, func(dir string) error {
		if err := os.Symlink("/etc/hostname", filepath.Join(dir, "etc/in")); err != nil {
			return err
		}
		return os.Symlink(secret, filepath.Join(dir, "etc/out"))
	})
	before := treetest.Fingerprint(t, dir)
	out, err := run(t, dir, tool(t, "cat"), "/etc/in", "/etc/out")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "the-image") || strings.Contains(out, "CANARY") || !strings.Contains(out, "/etc/out: No such file") {
		t.Fatalf("cat /etc/in /etc/out, confined:\n%s", out)
	}
	if treetest.Fingerprint(t, dir) != before {
		t.Fatal("the image changed")
	}
}

// The image's FIFOs are not in the view (a link to one held
// systemd-analyze until its timeout), its device nodes open nothing, its
// files do not run, and what the program writes stays out of the image.
func TestTheViewHoldsNothingHostile(t *testing.T) {
	needRoot(t)
	dir := image(t, func(dir string) error {
		if err := os.MkdirAll(filepath.Join(dir, "srv"), 0o755); err != nil {
			return err
		}
		if err := syscall.Mkfifo(filepath.Join(dir, "srv/fifo"), 0o600); err != nil {
			return err
		}
		if err := syscall.Mknod(filepath.Join(dir, "srv/zero"), syscall.S_IFCHR|0o666, 1<<8|5); err != nil {
			return err
		}
		// A program of the image: this host's true, copied in.
		data, err := os.ReadFile(tool(t, "true"))
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "srv/true"), data, 0o755)
	})
	before := treetest.Fingerprint(t, dir)
	start := time.Now()
	out, err := run(t, dir, tool(t, "cat"), "/srv/fifo")
	if err != nil || !strings.Contains(out, "No such file") || time.Since(start) > 10*time.Second {
		t.Errorf("cat /srv/fifo: %v (%v):\n%s", err, time.Since(start), out)
	}
	if out, err = run(t, dir, tool(t, "head"), "-c", "4", "/srv/zero"); err != nil || !strings.Contains(out, "Permission denied") {
		t.Errorf("head /srv/zero (a device node of the image): %v:\n%q", err, out)
	}
	// env's 126 is a setup's status too: the words are in the error.
	if out, err = run(t, dir, tool(t, "env"), "/srv/true"); err == nil || !strings.Contains(err.Error(), "'/srv/true': Permission denied") {
		t.Errorf("env /srv/true (a program of the image) ran: %v:\n%s", err, out)
	}
	if out, err = run(t, dir, tool(t, "touch"), "/etc/written", "/etc/hostname"); err != nil || out != "" {
		t.Errorf("touch: %v:\n%s", err, out)
	}
	if after := treetest.Fingerprint(t, dir); after != before {
		t.Errorf("the image changed:\n%s\n--- before\n%s", after, before)
	}
}

// The program runs with no capability: setpriv's own dump, confined. Its
// bounding set is empty, so root's exec of it left it none permitted.
func TestNoCapabilities(t *testing.T) {
	needRoot(t)
	out, err := run(t, image(t, nil), tool(t, "setpriv"), "--dump")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"uid: 0", "Capability bounding set: [none]", "Inheritable capabilities: [none]", "Ambient capabilities: [none]", "no_new_privs: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("setpriv --dump lacks %q:\n%s", want, out)
		}
	}
}

// A script is not confined: its interpreter would be the image's.
func TestScriptsAreRefused(t *testing.T) {
	script := filepath.Join(t.TempDir(), "fake")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(context.Background(), script); err == nil || !strings.Contains(err.Error(), "not an ELF executable") {
		t.Fatalf("err = %v", err)
	}
}

// What a setup that failed said is the error; the first Ready line is
// where the program's output begins.
func TestOutput(t *testing.T) {
	for _, c := range []struct {
		out    string
		status int
		want   string
		err    bool
	}{
		{"initcompat-confined\nhello\n", 0, "hello\n", false},
		{"mount: a warning\ninitcompat-confined\nhello\ninitcompat-confined\n", 1, "hello\ninitcompat-confined\n", false},
		{"initcompat: cannot confine x to y: mount the overlay\n", 125, "", true},
		{"initcompat-confined\nchroot: failed to run command\n", 127, "", true},
		{"a forged\ninitcompat-confinedX\n", 0, "", true},
	} {
		got, err := Output(c.out, c.status)
		if got != c.want || (err != nil) != c.err || (err != nil && !errors.Is(err, ErrNotConfined)) {
			t.Errorf("Output(%q, %d) = %q, %v", c.out, c.status, got, err)
		}
	}
}
