//go:build !windows

package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/initcompat/packer-plugin-initcompat/internal/shellcomm"
)

// gnuTime is GNU time (Debian's time package), the reaper measuredComm
// runs each remote command under.
const gnuTime = "/usr/bin/time"

// measuredComm runs each remote command under GNU time, which appends to
// out the peak RSS of the shell and of everything it ran. The plugin's
// own rusage cannot say it: Go starts a child sharing its memory until
// the exec (CLONE_VM|CLONE_VFORK), and Linux charges the old memory's
// high-water mark to the child at the exec, so the plugin's
// RUSAGE_CHILDREN is the plugin's size (129 MiB for a 17 MiB sh at 10,000
// services). time forks: all it can charge its shell is its own 2 MiB.
type measuredComm struct {
	*shellcomm.Comm
	out string
}

func (c measuredComm) Start(ctx context.Context, rc *packersdk.RemoteCmd) error {
	rc.Command = "exec " + gnuTime + " -a -o " + quote(c.out) + " -f %M sh -c " + quote(rc.Command)
	return c.Comm.Start(ctx, rc)
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// shellPeak is the largest peak RSS (KiB) GNU time recorded in out, -1
// when it recorded none.
func shellPeak(out string) int {
	peak := -1
	data, err := os.ReadFile(out)
	if err != nil {
		return peak
	}
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var kib int
		if _, err := fmt.Sscan(l, &kib); err == nil {
			peak = max(peak, kib)
		}
	}
	return peak
}
