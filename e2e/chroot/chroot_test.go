// Package chroot proves the amazon-chroot path: the real provisioner driven
// through packer-plugin-sdk's chroot communicator (what amazon-chroot hands
// its provisioners) over a debootstrapped tree with the host's /proc, /sys
// and /dev mounted as amazon-chroot mounts them. Its own module: the SDK's
// chroot package brings go-getter's cloud clients, which the e2e module's
// pinned Packer must not be rebuilt against.
package chroot

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/packer-plugin-sdk/chroot"
	"github.com/hashicorp/packer-plugin-sdk/common"
	"github.com/hashicorp/packer-plugin-sdk/multistep"
	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/initcompat/packer-plugin-initcompat/provisioner"
)

// amazonChrootMounts are amazon-chroot's default chroot_mounts
// (hashicorp/packer-plugin-amazon builder/chroot/builder.go, Prepare) less
// binfmt_misc, which nothing initcompat runs needs.
var amazonChrootMounts = [][]string{
	{"proc", "proc", "/proc"},
	{"sysfs", "sysfs", "/sys"},
	{"bind", "/dev", "/dev"},
	{"devpts", "devpts", "/dev/pts"},
}

func requireRoot(t *testing.T) string {
	t.Helper()
	base := filepath.Join(envOr("INITCOMPAT_E2E_CACHE", "/var/cache/initcompat-e2e"), "bookworm")
	_, err := os.Stat(base + ".ok")
	switch {
	case os.Geteuid() == 0 && err == nil:
		return base
	case os.Getenv("INITCOMPAT_E2E") == "1" || os.Getenv("PACKER_ACC") == "1":
		t.Fatalf("the chroot test needs root and the cached bookworm tree (%s; make e2e debootstraps it)", base)
	}
	t.Skipf("the chroot test needs root and the cached bookworm tree %s (make e2e)", base)
	return ""
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// mounted copies the cached tree and mounts what amazon-chroot mounts, with
// the SDK's own step; the copy is removed only once nothing is mounted in
// it (a removal through a bind mount of /dev would reach the host's).
func mounted(t *testing.T, base string) string {
	t.Helper()
	top, err := os.MkdirTemp("", "i25-chroot-")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(top, "root")
	if out, err := exec.Command("cp", "-a", base, root).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	state := new(multistep.BasicStateBag)
	state.Put("mount_path", root)
	state.Put("ui", packersdk.TestUi(t))
	state.Put("wrappedCommand", common.CommandWrapper(func(s string) (string, error) { return s, nil }))
	step := &chroot.StepMountExtra{ChrootMounts: amazonChrootMounts}
	t.Cleanup(func() {
		if err := step.CleanupFunc(state); err != nil {
			t.Errorf("unmounting: %v (left %s in place)", err, top)
			return
		}
		mounts, _ := os.ReadFile("/proc/mounts")
		if strings.Contains(string(mounts), root) {
			t.Errorf("still mounted under %s; left in place", root)
			return
		}
		_ = os.RemoveAll(top)
	})
	if step.Run(context.Background(), state) != multistep.ActionContinue {
		t.Fatalf("mounting: %v", state.Get("error"))
	}
	return root
}

func installHello(t *testing.T, root string) {
	t.Helper()
	files := map[string]string{
		"opt/daemon_test/hello.sh":         "#!/bin/sh\nwhile :; do sleep 60; done\n",
		"etc/systemd/system/hello.service": "[Unit]\nDescription=hello\n\n[Service]\nExecStart=/opt/daemon_test/hello.sh\n\n[Install]\nWantedBy=multi-user.target\n",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/systemd/system/hello.service", filepath.Join(wants, "hello.service")); err != nil {
		t.Fatal(err)
	}
}

// provision runs the real provisioner through the SDK's chroot
// communicator, as amazon-chroot's StepChrootProvision does (no build
// user in the generated data: initcompat's auto-sudo decides in the image).
func provision(t *testing.T, root string, raw map[string]interface{}) (string, error) {
	t.Helper()
	var p provisioner.Provisioner
	if err := p.Prepare(raw); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ui := &packersdk.BasicUi{Reader: strings.NewReader(""), Writer: &out, ErrorWriter: &out}
	comm := &chroot.Communicator{Chroot: root, CmdWrapper: func(s string) (string, error) { return s, nil }}
	err := p.Provision(context.Background(), ui, comm, map[string]interface{}{})
	t.Logf("provision %v:\n%s", raw, out.String())
	return out.String(), err
}

func inChroot(root, cmd string) (string, error) {
	out, err := exec.Command("chroot", root, "/bin/sh", "-c", cmd).CombinedOutput()
	return string(out), err
}

func TestAmazonChrootCommunicator(t *testing.T) {
	base := requireRoot(t)
	root := mounted(t, base)
	installHello(t, root)
	// Negative control: the raw image, the story's failure.
	if out, err := inChroot(root, "update-rc.d hello disable"); err == nil || !strings.Contains(out, "cannot find a LSB script") {
		t.Fatalf("raw image: update-rc.d hello disable: %v %s (want the story's failure)", err, out)
	}

	out, err := provision(t, root, map[string]interface{}{"services": []string{"hello"}})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if !strings.Contains(out, "initcompat: verify: skipped: no init system runs in this image") {
		t.Errorf("apply did not say verify was skipped:\n%s", out)
	}
	for _, p := range []string{"etc/init.d/hello", "etc/rc2.d/S01hello", "etc/rc0.d/K01hello", "var/lib/initcompat/manifest.json"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
			t.Errorf("after apply: %v", err)
		}
	}

	out, err = provision(t, root, map[string]interface{}{"services": []string{"hello"}})
	if err != nil || !strings.Contains(out, "initcompat: nothing to change") {
		t.Fatalf("second run: %v, want nothing to change:\n%s", err, out)
	}

	// Debian's update-rc.d judges the result, on a copy (it rewrites the
	// links the manifest records).
	judged := filepath.Join(t.TempDir(), "root")
	if o, err := exec.Command("cp", "-a", "--one-file-system", root, judged).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, o)
	}
	if o, err := inChroot(judged, "update-rc.d hello disable && ls /etc/rc2.d"); err != nil || strings.Contains(o, "S01hello") || !strings.Contains(o, "hello") {
		t.Errorf("update-rc.d hello disable after apply: %v %s", err, o)
	}

	out, err = provision(t, root, map[string]interface{}{"services": []string{"hello"}, "mode": "remove"})
	if err != nil || !strings.Contains(out, "removed what initcompat had written") {
		t.Fatalf("remove: %v\n%s", err, out)
	}
	for _, p := range []string{"etc/init.d/hello", "etc/rc2.d/S01hello", "var/lib/initcompat/manifest.json"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
			t.Errorf("after remove: %s is still there", p)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "etc/systemd/system/hello.service")); err != nil {
		t.Errorf("remove took what initcompat did not write: %v", err)
	}
}
