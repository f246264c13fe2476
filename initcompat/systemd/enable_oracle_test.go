//go:build linux

package systemd_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// installShapes are [Install] sections as units in the field write them
// (issue 33, item 10): the display managers' Alias= alone (ly, sddm,
// lightdm, greetd), a target other than multi-user, RequiredBy=, UpheldBy=,
// Also= of a socket (beanstalkd, pgbouncer, node_exporter, rest-server ship
// a .socket beside the .service), none at all.
var installShapes = map[string]string{
	"multi":    "[Install]\nWantedBy=multi-user.target\n",
	"graphics": "[Install]\nWantedBy=graphical.target\n",
	"required": "[Install]\nRequiredBy=remote-fs.target\n",
	"upheld":   "[Install]\nUpheldBy=multi-user.target\n",
	"alias":    "[Install]\nAlias=display-manager.service\n",
	"both":     "[Install]\nWantedBy=multi-user.target\nAlias=both-alias.service\n",
	"also":     "[Install]\nAlso=also.socket\n",
	"static":   "",
}

// What initcompat says a unit's enablement is agrees with what
// systemctl is-enabled says, over the shapes enabled by systemctl
// enable itself (so the links are the real tool's) and left disabled; the
// redirects' rc links follow it.
func TestEnablementAgreesWithSystemctl(t *testing.T) {
	systemctl, err := exec.LookPath("systemctl")
	if err != nil {
		t.Skip("no systemctl on this machine to judge with")
	}
	cases := 0
	for name, install := range installShapes {
		for _, enable := range []bool{false, true} {
			if install == "" && enable {
				continue // a static unit cannot be enabled
			}
			dir := t.TempDir()
			unitDir := filepath.Join(dir, "usr/lib/systemd/system")
			for _, d := range []string{unitDir, filepath.Join(dir, "etc/systemd/system")} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			write := func(n, body string) {
				if err := os.WriteFile(filepath.Join(unitDir, n), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			unit := name + ".service"
			write(unit, "[Service]\nExecStart=/bin/true\n\n"+install)
			write("also.socket", "[Socket]\nListenStream=9999\n\n[Install]\nWantedBy=sockets.target\n")
			for _, target := range []string{"multi-user", "graphical", "remote-fs", "sockets"} {
				write(target+".target", "[Unit]\nDescription="+target+"\n")
			}
			if enable {
				if out, err := exec.Command(systemctl, "--root="+dir, "enable", unit).CombinedOutput(); err != nil {
					t.Fatalf("%s: systemctl enable: %v\n%s", unit, err, out)
				}
			}
			out, _ := exec.Command(systemctl, "--root="+dir, "is-enabled", unit).Output()
			want := strings.TrimSpace(string(out))
			tr, err := tree.FromDir(dir, []tree.Watch{{Path: "etc/systemd/system", Content: true}, {Path: "usr/lib/systemd/system", Content: true}}, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := systemd.NewStore(tr).Enablement(unit).State
			if string(got) != want {
				t.Errorf("%s (enabled by systemctl: %v): initcompat says %s, systemctl is-enabled %s", unit, enable, got, want)
			}
			cases++
		}
	}
	t.Logf("%d install shapes and states: initcompat and systemctl is-enabled agree", cases)
}
