package provisioner

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// The external commands the plugin runs on the Packer host are bounded:
// a timeout of their own, cancelled with the build, in a process group of
// their own that is killed whole (nothing they start outlives them), and
// at most maxCommandOutput bytes of output kept.
var (
	// analyzeTimeout bounds one offline systemd-analyze verify; a real one
	// takes seconds on the largest image (10,000 units: about 20 s here).
	analyzeTimeout = 5 * time.Minute
	// commandWaitDelay is how long Wait waits for output pipes after the
	// group is killed.
	commandWaitDelay = 2 * time.Second
)

// maxCommandOutput bounds what a local command's output costs in memory.
const maxCommandOutput = 4 << 20

// runLocal runs name with args until it exits, timeout passes or ctx ends,
// and returns its combined output (capped) and why it stopped early.
func runLocal(ctx context.Context, timeout time.Duration, name string, args ...string) (string, error) {
	out, _, err := runLocalStatus(ctx, timeout, name, args...)
	return out, err
}

// runLocalStatus is runLocal with the command's exit status (-1 when it
// did not exit by itself).
func runLocalStatus(ctx context.Context, timeout time.Duration, name string, args ...string) (string, int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	out := &capBuffer{head: maxCommandOutput, tail: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	ownGroup(cmd)
	cmd.WaitDelay = commandWaitDelay
	err := cmd.Start()
	if err != nil {
		return "", -1, fmt.Errorf("starting %s: %w", name, err)
	}
	err = cmd.Wait()
	// Whatever it left running in its group goes with it.
	killGroup(cmd)
	if ctx.Err() != nil {
		// Identity, not a match: the cause is the bare deadline only when the
		// deadline was this command's own timeout, not the build's cancel.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && context.Cause(ctx) == ctx.Err() { //nolint:errorlint // identity is the point
			return out.String(), -1, fmt.Errorf("%s did not finish in %v; it was killed", name, timeout)
		}
		return out.String(), -1, fmt.Errorf("%s: %w", name, ctx.Err())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return out.String(), -1, fmt.Errorf("%s: %w", name, err)
	}
	// Its exit status is its verdict, read from its output.
	return out.String(), cmd.ProcessState.ExitCode(), nil
}
