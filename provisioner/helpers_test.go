package provisioner

import (
	"bytes"
	"context"
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
	"sync"
	"testing"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree/treetest"
)

// helloImage writes testdata/hello.txtar, the hello.service story, into a
// fresh directory.
func helloImage(t *testing.T) string {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", "hello.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := treetest.Parse(ar.Files, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "root")
	if err := treetest.WriteDir(dir, ms); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fingerprint lists every path under dir with its kind, mode and content
// hash or link target, so two states of a tree compare byte for byte.
func fingerprint(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v", rel, fi.Mode())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case fi.Mode().IsRegular():
			data, _ := os.ReadFile(p)
			h := sha256.Sum256(data)
			line += " " + hex.EncodeToString(h[:8])
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// shellComm is a communicator that runs each command with the local sh,
// with INITCOMPAT_ROOT pointing the scripts at a directory, and records
// every command it was asked to run. It stands in for SSH: the scripts it
// runs are the real ones.
type shellComm struct {
	root string
	mu   sync.Mutex
	cmds []string
}

func (c *shellComm) Start(ctx context.Context, rc *packersdk.RemoteCmd) error {
	c.mu.Lock()
	c.cmds = append(c.cmds, rc.Command)
	c.mu.Unlock()
	cmd := exec.CommandContext(ctx, "sh", "-c", rc.Command)
	cmd.Env = append(os.Environ(), "INITCOMPAT_ROOT="+c.root)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = rc.Stdin, rc.Stdout, rc.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		_ = cmd.Wait()
		rc.SetExited(cmd.ProcessState.ExitCode())
	}()
	return nil
}

func (c *shellComm) commands() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.cmds...)
}

var errNoFiles = fmt.Errorf("initcompat never transfers files")

func (c *shellComm) Upload(string, io.Reader, *os.FileInfo) error { return errNoFiles }
func (c *shellComm) UploadDir(string, string, []string) error     { return errNoFiles }
func (c *shellComm) Download(string, io.Writer) error             { return errNoFiles }
func (c *shellComm) DownloadDir(string, string, []string) error   { return errNoFiles }

// recordUI keeps what the provisioner said.
type recordUI struct {
	packersdk.Ui
	mu  sync.Mutex
	buf bytes.Buffer
}

func newRecordUI(t *testing.T) *recordUI { return &recordUI{Ui: packersdk.TestUi(t)} }

func (u *recordUI) Say(s string)     { u.mu.Lock(); u.buf.WriteString(s + "\n"); u.mu.Unlock() }
func (u *recordUI) Message(s string) { u.Say(s) }
func (u *recordUI) Error(s string)   { u.Say("ERROR " + s) }
func (u *recordUI) String() string   { u.mu.Lock(); defer u.mu.Unlock(); return u.buf.String() }
