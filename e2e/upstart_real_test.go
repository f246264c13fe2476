package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The real Upstart, built from the sources in ../shared/upstart (libnih
// 1.0.4 and Upstart 1.13.2, Ubuntu 16.04's, with Ubuntu's packaging) by
// testdata/build-upstart.sh, and cached beside the debootstrapped trees.
// Debian ships no Upstart any more; nothing built here goes into the
// project.

// upstartVersion names the cache and is what init --version must say.
const upstartVersion = "1.13.2"

var upstartMu sync.Mutex

// upstartSources is where libnih.tar.xz and upstart.tar.xz are: CI copies
// shared/ beside the clone.
func upstartSources() string {
	return envOr("INITCOMPAT_UPSTART_SRC", filepath.Join(repo, "..", "shared", "upstart"))
}

// requireUpstart skips (or, under INITCOMPAT_E2E=1 / PACKER_ACC=1, fails)
// when the sources or the build tools are missing, and returns the staging
// root of the built Upstart (DIR/usr/sbin/init, DIR/lib/init/upstart-job).
func requireUpstart(t *testing.T) string {
	t.Helper()
	if dir, ok := cachedUpstart(); ok {
		return dir
	}
	var missing []string
	src := upstartSources()
	for _, f := range []string{"libnih.tar.xz", "upstart.tar.xz"} {
		if _, err := os.Stat(filepath.Join(src, f)); err != nil {
			missing = append(missing, filepath.Join(src, f))
		}
	}
	for _, tool := range []string{"autoreconf", "libtoolize", "autopoint", "pkg-config", "gcc", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		msg := "the real Upstart needs " + strings.Join(missing, ", ") +
			" (INITCOMPAT_UPSTART_SRC names the sources; apt-get install autoconf automake libtool pkg-config gettext autopoint libdbus-1-dev libexpat1-dev libjson-c-dev libudev-dev make gcc)"
		if os.Getenv("INITCOMPAT_E2E") == "1" || os.Getenv("PACKER_ACC") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return builtUpstart(t, src)
}

func upstartCache() (dir, stamp, want string) {
	dir = filepath.Join(cacheDir, "upstart-"+upstartVersion)
	return dir, dir + ".ok", "init (upstart " + upstartVersion + ")"
}

// cachedUpstart is the cached build, when its stamp says it is complete.
func cachedUpstart() (string, bool) {
	dir, stamp, want := upstartCache()
	got, err := os.ReadFile(stamp)
	return dir, err == nil && strings.TrimSpace(string(got)) == want
}

// builtUpstart builds Upstart once into the cache; the stamp holds the
// version init reports, so that a half-made build is made again.
func builtUpstart(t *testing.T, src string) string {
	t.Helper()
	upstartMu.Lock()
	defer upstartMu.Unlock()
	dir, stamp, want := upstartCache()
	if _, ok := cachedUpstart(); ok {
		return dir
	}
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(repo, "e2e", "testdata", "build-upstart.sh"), src, dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("building Upstart: %v\n%s", err, tail(out, 4000))
	}
	version := lastLine(out)
	if version != want {
		t.Fatalf("the built init says %q, want %q", version, want)
	}
	if err := os.WriteFile(stamp, []byte(version+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("built libnih and Upstart %s: %v", upstartVersion, time.Since(start).Round(time.Second))
	return dir
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// session is a session-mode Upstart (init --user) on this host: it parses
// the jobs of its confdir exactly as PID 1 does and, with
// --no-startup-event, starts nothing.
type session struct {
	built string
	env   []string
	cmd   *exec.Cmd
}

// startSession runs init --user over confdir and waits until initctl
// answers.
func startSession(t *testing.T, built, confdir string) *session {
	t.Helper()
	runtime := t.TempDir()
	logs := t.TempDir()
	s := &session{built: built}
	base := []string{
		"PATH=" + filepath.Join(built, "usr/sbin") + ":" + filepath.Join(built, "usr/bin") + ":/usr/sbin:/usr/bin:/sbin:/bin",
		"LD_LIBRARY_PATH=" + filepath.Join(built, "usr/lib"),
		"XDG_RUNTIME_DIR=" + runtime,
		"HOME=" + runtime,
		"LANG=C",
	}
	s.cmd = exec.Command(filepath.Join(built, "usr/sbin/init"), "--user", "--confdir", confdir, "--logdir", logs, "--no-startup-event")
	s.cmd.Env = base
	var errs bytes.Buffer
	s.cmd.Stdout, s.cmd.Stderr = &errs, &errs
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("init --user: %v", err)
	}
	t.Cleanup(s.stop)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(runtime, "upstart", "sessions", "*.session"))
		if len(files) == 1 {
			data, _ := os.ReadFile(files[0])
			for _, l := range strings.Split(string(data), "\n") {
				if strings.HasPrefix(l, "UPSTART_SESSION=") {
					s.env = append(slices.Clone(base), l)
				}
			}
			if s.env != nil {
				if _, code := s.initctl("version"); code == 0 {
					return s
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("init --user did not answer in 20s: %s", errs.String())
	return nil
}

// initctl runs the built initctl against this session.
func (s *session) initctl(args ...string) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, filepath.Join(s.built, "usr/sbin/initctl"), args...)
	c.Env = s.env
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	code := 0
	if err != nil {
		code = -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
	}
	return out.String(), code
}

func (s *session) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}
