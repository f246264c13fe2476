package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dockerd starts Debian's docker.io daemon for this test alone: its own
// socket and data root, vfs storage (no overlay needed), no bridge and no
// iptables (the containers get no network). It returns the DOCKER_HOST.
func dockerd(t *testing.T) string {
	t.Helper()
	requireBoot(t)
	for _, tool := range []string{"dockerd", "docker"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := "the Docker builder test needs Debian's docker.io (apt-get install docker.io)"
			if os.Getenv("INITCOMPAT_E2E") == "1" || os.Getenv("PACKER_ACC") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	// Short paths: a unix socket path is limited to 108 bytes.
	dir, err := os.MkdirTemp("", "icd")
	if err != nil {
		t.Fatal(err)
	}
	host := "unix://" + filepath.Join(dir, "docker.sock")
	log, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dockerd", "--storage-driver=vfs", "--iptables=false", "--ip6tables=false", "--bridge=none",
		"--data-root="+filepath.Join(dir, "data"), "--exec-root="+filepath.Join(dir, "exec"),
		"--pidfile="+filepath.Join(dir, "dockerd.pid"), "-H", host)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting dockerd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = log.Close()
		_ = os.RemoveAll(dir)
	})
	t.Setenv("DOCKER_HOST", host)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if err := exec.Command("docker", "info").Run(); err == nil {
			return host
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "dockerd.log"))
	t.Fatalf("dockerd did not come up in 60s:\n%s", tail(data, 40))
	return ""
}

// docker runs the docker CLI against the test's daemon and logs it.
func docker(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	t.Logf("$ docker %s\n%s", strings.Join(args, " "), indent(string(out)))
	if err != nil {
		t.Fatalf("docker %s: %v", args[0], err)
	}
	return string(out)
}

// The Docker builder, which most CI image pipelines use: the debootstrapped
// bookworm with the hello story, imported as a base image, built with the
// pinned packer-plugin-docker and initcompat through docker exec, committed
// and tagged. The committed image holds the redirect and its rc links, and
// update-rc.d works on them; no init runs in the container, so verify is
// not asked for and the build is two commands.
func TestDockerBuilder(t *testing.T) {
	dockerd(t)
	img := newImage(t, suites[0])
	installHello(t, img)
	tarball, err := exec.Command("tar", "-C", img, "-c", ".").Output()
	if err != nil {
		t.Fatalf("packing the base image: %v", err)
	}
	base := "initcompat-e2e/bookworm:hello"
	docker(t, tarball, "import", "-", base)

	out, ok := packerBuild(t, "docker.pkr.hcl", map[string]string{"base": base, "tag": "initcompat-e2e/app"})
	if !ok {
		t.Fatalf("packer build with the Docker builder failed:\n%s", out)
	}
	// The redirect and its links, the preset pin, the manifest and the
	// directories they go in.
	contains(t, out, "applied 12 changes", "the Docker build")
	// Nothing runs as PID 1 in the build's container: verify says it is
	// skipped, and asks nothing.
	contains(t, out, "verify: skipped: no init system runs in this image", "the Docker build")
	if strings.Contains(out, "checks passed") {
		t.Errorf("verify ran in a container with no init:\n%s", out)
	}

	got := docker(t, nil, "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", "initcompat-e2e/app:provisioned", "-c",
		`set -e
test -x /etc/init.d/hello
sh -n /etc/init.d/hello
for l in /etc/rc?.d/*hello; do printf '%s -> %s\n' "$l" "$(readlink "$l")"; done
grep -c '"path"' /var/lib/initcompat/manifest.json
update-rc.d hello disable >/dev/null 2>&1
ls /etc/rc2.d | grep hello`)
	for _, want := range []string{
		"/etc/rc2.d/S01hello -> ../init.d/hello",
		"/etc/rc0.d/K01hello -> ../init.d/hello",
		"K01hello", // update-rc.d disable flipped the S link in the committed image
	} {
		contains(t, got, want, "the committed image")
	}
	if n := strings.Count(got, "\n"); n < 8 {
		t.Fatalf("the committed image lacks the rc links:\n%s", got)
	}
}
