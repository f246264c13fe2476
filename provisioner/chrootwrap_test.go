//go:build linux

package provisioner

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestAutoSudoThroughChrootWrapper runs the command line initcompat gives
// a non-root build user as the SDK's chroot communicator does: its Start
// hands `chroot DIR /bin/sh -c "COMMAND"` to the host's shell. The
// uid test must be made by the shell inside the image, not expanded by the
// host's shell. Entering a chroot needs root and the test may run as
// anyone, so the wrapper (amazon-chroot's command_wrapper hook) replaces
// `chroot DIR` by a PATH holding stand-ins for the image's id and sudo
// (testdata/chrootwrap), each uid set for the inner shell alone; the
// quoting the host's shell sees is the SDK's, unchanged. e2e/chroot_test.go
// runs the real chroot.
func TestAutoSudoThroughChrootWrapper(t *testing.T) {
	fakes, err := filepath.Abs("testdata/chrootwrap")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		imageUID string
		sudo     bool
	}{
		{"0", false},   // root in the image: no sudo, whoever runs the test
		{"1000", true}, // a user in the image: sudo, whoever runs the test
	} {
		t.Run("uid "+c.imageUID, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "sudo.log")
			// packer-plugin-sdk v0.6.10 chroot/communicator.go, Start:
			// cmd.Command = strconv.Quote(cmd.Command), then
			// CmdWrapper(fmt.Sprintf("chroot %s /bin/sh -c %s", ...)) run by
			// common.ShellCommand (/bin/sh -c). Importing the package would
			// bring go-getter's cloud clients into this module; the e2e test
			// runs the SDK's own communicator.
			wrapped := fmt.Sprintf("chroot %s /bin/sh -c %s", "/image", strconv.Quote(autoSudo))
			inner := strings.TrimPrefix(wrapped, "chroot /image ")
			host := exec.Command("/bin/sh", "-c", "env PATH="+fakes+":/usr/bin:/bin FAKE_UID="+c.imageUID+" FAKE_LOG="+log+" "+inner)
			var out, stderr bytes.Buffer
			host.Stdin, host.Stdout, host.Stderr = strings.NewReader("echo script-ran\n"), &out, &stderr
			if err := host.Run(); err != nil || strings.TrimSpace(out.String()) != "script-ran" {
				t.Fatalf("%v, stdout %q, stderr %q: the script on standard input did not run", err, out.String(), stderr.String())
			}
			_, err := os.Stat(log)
			if ran := err == nil; ran != c.sudo {
				t.Fatalf("image uid %s: sudo ran = %v, want %v (the uid was tested by the host's shell, not the image's)", c.imageUID, ran, c.sudo)
			}
		})
	}
}
