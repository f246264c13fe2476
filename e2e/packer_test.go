package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var repo, _ = filepath.Abs("..")

// packerBuild runs the pinned Packer with the plugin as `make dev` installed
// it, and returns its output and whether it succeeded.
func packerBuild(t testing.TB, template string, vars map[string]string) (string, bool) {
	t.Helper()
	out, ok, line, took := packerRun(t, template, vars)
	t.Logf("$ packer %s  (%v)\n%s", line, took.Round(time.Millisecond), indent(out))
	return out, ok
}

// packerRun is packerBuild without the log: its output, whether it
// succeeded, its arguments and how long it took.
func packerRun(t testing.TB, template string, vars map[string]string) (out string, ok bool, line string, took time.Duration) {
	t.Helper()
	packer := filepath.Join(repo, "bin", "packer")
	plugins := filepath.Join(repo, "bin", "plugins")
	if _, err := os.Stat(packer); err != nil {
		t.Fatalf("%s is missing: run make e2e (it builds Packer and installs the plugin first)", packer)
	}
	args := []string{"build", "-color=false"}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-var", k+"="+vars[k])
	}
	args = append(args, filepath.Join("testdata", template))
	cmd := exec.Command(packer, args...)
	cmd.Env = append(os.Environ(), "PACKER_PLUGIN_PATH="+plugins, "CHECKPOINT_DISABLE=1")
	start := time.Now()
	data, err := cmd.CombinedOutput()
	return string(data), err == nil, strings.Join(args, " "), time.Since(start)
}

// helloDaemon is the story's daemon: a non-forking loop writing the date.
const helloDaemon = "#!/bin/bash\nfilename=$1\nwhile true; do\n  sleep 1\n  date >> /opt/daemon_test/${filename}.log\ndone\n"

// writeFiles writes files (path relative to root -> content) with mode.
func writeFiles(t testing.TB, root string, mode os.FileMode, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// installHello puts the story's daemon into an image with only a systemd
// unit, enabled the way `systemctl enable` does it.
func installHello(t *testing.T, root string) {
	t.Helper()
	writeFiles(t, root, 0o755, map[string]string{"opt/daemon_test/hello.sh": helloDaemon})
	writeFiles(t, root, 0o644, map[string]string{"etc/systemd/system/hello.service": "[Unit]\nDescription = hello systemd\n\n" +
		"[Service]\nExecStart = /opt/daemon_test/hello.sh systemd\nRestart = always\nType = simple\n\n[Install]\nWantedBy = multi-user.target\n"})
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/systemd/system/hello.service", filepath.Join(wants, "hello.service")); err != nil {
		t.Fatal(err)
	}
}

// copyImage duplicates an image directory.
func copyImage(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "root")
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	return dst
}

// fingerprint hashes every path of an image: kind, mode, owner, content or
// link target. Two equal fingerprints mean not one byte changed.
func fingerprint(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(h, "%s %v\n", rel, fi.Mode())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			fmt.Fprintf(h, "-> %s\n", target)
		case fi.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(h, f)
			_ = f.Close()
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func contains(t *testing.T, out, want, what string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Fatalf("%s: output lacks %q", what, want)
	}
}

// noChanges builds again with the same variables and expects an empty plan:
// the snapshot sees everything the first build wrote.
func noChanges(t *testing.T, vars map[string]string) {
	t.Helper()
	out, ok := packerBuild(t, "local.pkr.hcl", vars)
	if !ok {
		t.Fatal("the second packer build failed")
	}
	contains(t, out, "0 changes, ", "second build")
}
