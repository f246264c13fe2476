package provisioner

import (
	"context"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
	"github.com/hashicorp/packer-plugin-sdk/template/interpolate"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/planner"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// shell is what every remote command runs: a POSIX shell reading
// initcompat's script from standard input.
const shell = "sh -s"

// autoSudo becomes root only when the communicator's user is not. It holds
// no $, backquote or backslash: the SDK's chroot communicator (amazon-chroot)
// wraps each command as `chroot DIR /bin/sh -c "COMMAND"` for the host's
// shell (packer-plugin-sdk chroot/communicator.go, Start), which expands those
// inside double quotes, so `$(id -u)` would be the Packer host's uid, not the
// image's: a non-root Packer (command_wrapper = "sudo {{.Command}}") would
// then run sudo inside an image that may not have it.
const autoSudo = `sh -c 'if id -u | grep -qx 0; then exec sh -s; else exec sudo -n sh -s; fi'`

// remoteCommand renders the command line both remote commands use.
func (p *Provisioner) remoteCommand(generated map[string]interface{}) (string, error) {
	if p.config.ExecuteCommand != "" {
		ictx := p.config.ctx
		ictx.Data = struct{ Command string }{Command: shell}
		cmd, err := interpolate.Render(p.config.ExecuteCommand, &ictx)
		if err != nil {
			return "", fmt.Errorf("initcompat: execute_command: %w", err)
		}
		return cmd, nil
	}
	if p.config.UseSudo.ToBoolPointer() == nil {
		if user, _ := generated["User"].(string); user == "root" {
			return shell, nil
		}
		return autoSudo, nil
	}
	if p.config.UseSudo.True() {
		return "sudo -n " + shell, nil
	}
	return shell, nil
}

// remote reads and writes the image through the build's communicator: one
// command to read, one to write, whatever the number of services.
type remote struct {
	comm    packersdk.Communicator
	command string
	// uncapped lists the files read past the per-file cap, within
	// tree.MaxUncappedSize (the manifest).
	uncapped []string
}

// Snapshot reads the watched paths; with recover, an interrupted apply's
// journal is rolled back (or finished) first, in the same command.
func (r *remote) Snapshot(ctx context.Context, ws []tree.Watch, recover bool) (*tree.Tree, string, error) {
	script := tree.SnapshotScript(ws)
	if recover {
		script = protocol.RecoveryScript(planner.Places()) + script
	}
	// The stream is parsed as it arrives, each file's cap applied while
	// reading: a large file costs its size in memory only when it is read.
	pr, pw := io.Pipe()
	counted := &countingReader{r: pr}
	type parsed struct {
		t   *tree.Tree
		err error
	}
	done := make(chan parsed, 1)
	go func() {
		t, err := tree.FromTar(counted, 0, r.uncapped...)
		_, _ = io.Copy(io.Discard, pr) // let the command finish whatever happened
		done <- parsed{t, err}
	}()
	stderr, status, err := r.run(ctx, strings.NewReader(script), pw)
	_ = pw.Close()
	res := <-done
	if err != nil {
		return nil, "", err
	}
	recovered := recoveredLine(stderr)
	// GNU tar exits 1 when a file changed while it was read; the archive is
	// still whole, and the apply re-checks every path it touches.
	if status != 0 && (status != 1 || !strings.Contains(stderr, "changed as we read it")) {
		return nil, recovered, commandError("snapshot", status, stderr)
	}
	if counted.n == 0 {
		return nil, recovered, fmt.Errorf("the snapshot command printed nothing (exit %d): the communicator did not run it; with communicator = \"none\" set root_dir", status)
	}
	if res.err != nil {
		return nil, recovered, fmt.Errorf("%w (stderr: %s)", res.err, strings.TrimSpace(stderr))
	}
	return res.t, recovered, nil
}

// Programs reads the programs init scripts run, bounded as the
// snapshot's kept files are (tree.RefScript), in one command.
func (r *remote) Programs(ctx context.Context, paths []string) ([]*tree.Ref, error) {
	pr, pw := io.Pipe()
	type parsed struct {
		refs []*tree.Ref
		err  error
	}
	done := make(chan parsed, 1)
	go func() {
		refs, err := tree.ReadRefs(pr)
		_, _ = io.Copy(io.Discard, pr)
		done <- parsed{refs, err}
	}()
	stderr, status, err := r.run(ctx, strings.NewReader(tree.RefScript(paths)), pw)
	_ = pw.Close()
	res := <-done
	if err != nil {
		return nil, err
	}
	if status != 0 {
		return nil, commandError("reading programs", status, stderr)
	}
	return res.refs, res.err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// recoverAfter runs the recovery of an apply that was killed, and says what
// it did ("" when it could not run or found nothing).
func (r *remote) recoverAfter(ctx context.Context) string {
	out := &capBuffer{head: outputCap, tail: outputCap}
	stderr, status, err := r.run(ctx, strings.NewReader(protocol.RecoveryScript(planner.Places())), out)
	if err != nil || status != 0 {
		return ""
	}
	return recoveredLine(stderr)
}

// recoveredLine is what a recovery said it did, "" when it did nothing,
// with what it left in place (as the os.Root runner's says it).
func recoveredLine(stderr string) string {
	what, left := "", ""
	for _, line := range strings.Split(stderr, "\n") {
		if w, ok := strings.CutPrefix(line, protocol.RecoveredPrefix); ok && what == "" {
			what = w
		} else if w, ok := strings.CutPrefix(line, protocol.WarningPrefix); ok && strings.HasPrefix(w, "left ") {
			left += "; " + w
		}
	}
	if what == "" {
		return ""
	}
	return what + left
}

func (r *remote) Apply(ctx context.Context, pl *plan.Plan, opts protocol.Options) error {
	// The script is written into the command's standard input as it is
	// made, never held whole.
	pr, pw := io.Pipe()
	go func() { _ = pw.CloseWithError(protocol.WriteScript(pw, pl, opts)) }()
	out := &capBuffer{head: outputCap, tail: outputCap}
	stderr, status, err := r.run(ctx, pr, out)
	_ = pr.Close()
	if err != nil {
		return err
	}
	if status != 0 && !cutShort(stderr) {
		err := commandError("apply", status, stderr)
		if !strings.Contains(stderr, "initcompat:") && ctx.Err() == nil {
			// Killed before it could undo itself: undo it now, while the
			// connection is here, rather than leave it to the next build.
			if what := r.recoverAfter(ctx); what != "" {
				err = fmt.Errorf("%w; then initcompat %s", err, what)
			}
		}
		return err
	}
	// The script says it is done on its last line; without that line it
	// did not run (its input was cut short: sh ran nothing of it).
	token := protocol.CompletedToken
	if opts.Hold {
		token = protocol.HeldToken
	}
	if !strings.Contains(out.String(), token) {
		return fmt.Errorf("apply: the script did not run to its end (exit %d, no completion line): its input was cut short, and a script cut short changes nothing; run the build again. %s", status, strings.TrimSpace(stderr))
	}
	warnings(stderr, opts.Warn)
	return nil
}

// warnings passes on what an apply that succeeded said it left in place.
func warnings(stderr string, warn func(string)) {
	if warn == nil {
		return
	}
	for _, line := range strings.Split(stderr, "\n") {
		if w, ok := strings.CutPrefix(line, protocol.WarningPrefix); ok {
			warn(w)
		}
	}
}

// run starts the command and waits for it, or for ctx.
func (r *remote) run(ctx context.Context, stdin io.Reader, stdout io.Writer) (string, int, error) {
	// What the image prints is kept within bounds, its end whole: the
	// scripts say how they ended on their last lines.
	stderr := &capBuffer{head: outputCap, tail: outputCap}
	cmd := &packersdk.RemoteCmd{Command: r.command, Stdin: stdin, Stdout: stdout, Stderr: stderr}
	log.Printf("[DEBUG] initcompat: remote command: %s", r.command)
	if err := r.comm.Start(ctx, cmd); err != nil {
		return "", 0, fmt.Errorf("starting the remote command %q: %w", r.command, err)
	}
	done := make(chan int, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-ctx.Done():
	case status := <-done:
		log.Printf("[DEBUG] initcompat: remote command exited %d; stderr: %q", status, stderr.String())
		return stderr.String(), status, nil
	}
	// Cancelled (timeout, Ctrl-C). A script still on its way is cut here:
	// sh meets the end of its input inside the function and runs nothing.
	// One already sent whole runs to its end, or is rolled back by its own
	// trap when the session goes; wait a little to say which.
	if c, ok := stdin.(io.Closer); ok {
		_ = c.Close()
	}
	select {
	case status := <-done:
		return stderr.String(), status, fmt.Errorf("remote command cancelled (%w); it exited %d: %s", ctx.Err(), status, strings.TrimSpace(stderr.String()))
	case <-time.After(cancelGrace):
		return stderr.String(), 0, fmt.Errorf("remote command cancelled (%w) and still running after %v; an apply it was running either completes or is rolled back by the image itself, and the next run recovers first", ctx.Err(), cancelGrace)
	}
}

// outputCap is the most kept of each end of a remote command's stdout
// (apply, recovery) or stderr: 512 MiB printed costs 256 KiB.
const outputCap = 128 << 10

// cancelGrace is how long a cancelled remote command is given to end.
var cancelGrace = 30 * time.Second

// cutShort reports sh stopping at the end of a script that ended early:
// the function holding the apply was never closed, so nothing of it ran.
func cutShort(stderr string) bool {
	return !strings.Contains(stderr, "initcompat:") &&
		(strings.Contains(stderr, "end of file unexpected") || strings.Contains(stderr, "unexpected end of file") ||
			// dash (parser.c, readtoken1) at the end of its input inside quotes
			strings.Contains(stderr, "Unterminated quoted string"))
}

// commandError explains a failed remote command in terms of what to fix.
func commandError(what string, status int, stderr string) error {
	msg := strings.TrimSpace(stderr)
	switch {
	case strings.Contains(msg, "a password is required") || strings.Contains(msg, "a terminal is required"):
		return fmt.Errorf("%s: sudo wants a password (%s): give the build user NOPASSWD sudo, connect as root, or set execute_command", what, msg)
	case status == 127 || strings.Contains(msg, "sudo: not found") || strings.Contains(msg, "sudo: command not found"):
		return fmt.Errorf("%s: a command was not found (%s): the image needs sh, coreutils and tar; without sudo set use_sudo = false or execute_command (e.g. \"doas {{.Command}}\")", what, msg)
	case status == 77:
		return fmt.Errorf("%s: %s", what, msg)
	case status < 0 || status > 255:
		return fmt.Errorf("%s: the connection ended before the command reported its exit status (%d); an apply interrupted there is rolled back by the image itself, or by the next run, which recovers first: run the build again. %s", what, status, msg)
	}
	return fmt.Errorf("%s: exit status %d: %s", what, status, msg)
}
