// Package shellcomm is a Packer communicator that runs each command with
// the local sh, with INITCOMPAT_ROOT pointing initcompat's scripts at a
// directory. It stands in for SSH where no real host can be had (tests,
// tools/scalebench): the scripts it runs are the real ones. It records
// every command it was asked to run.
package shellcomm

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"sync"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
)

// Comm runs commands against the image at Root.
type Comm struct {
	Root string
	mu   sync.Mutex
	cmds []string
}

// Start runs the command with sh -c and reports its exit status when done.
func (c *Comm) Start(ctx context.Context, rc *packersdk.RemoteCmd) error {
	c.mu.Lock()
	c.cmds = append(c.cmds, rc.Command)
	c.mu.Unlock()
	cmd := exec.CommandContext(ctx, "sh", "-c", rc.Command)
	cmd.Env = append(os.Environ(), "INITCOMPAT_ROOT="+c.Root)
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

// Commands lists the commands run so far.
func (c *Comm) Commands() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.cmds...)
}

// ErrNoFiles answers every transfer: initcompat never transfers files.
var ErrNoFiles = errors.New("initcompat never transfers files")

// Upload refuses: initcompat never transfers files.
func (c *Comm) Upload(string, io.Reader, *os.FileInfo) error { return ErrNoFiles }

// UploadDir refuses: initcompat never transfers files.
func (c *Comm) UploadDir(string, string, []string) error { return ErrNoFiles }

// Download refuses: initcompat never transfers files.
func (c *Comm) Download(string, io.Writer) error { return ErrNoFiles }

// DownloadDir refuses: initcompat never transfers files.
func (c *Comm) DownloadDir(string, string, []string) error { return ErrNoFiles }
