//go:build linux

package provisioner

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
)

func TestPrepare(t *testing.T) {
	for _, c := range []struct {
		name string
		raw  map[string]interface{}
		err  string
	}{
		{"defaults", map[string]interface{}{}, ""},
		{"unknown build value", map[string]interface{}{"root_dir": "<unknown>", "services": []string{"hello"}}, ""},
		{"bad mode", map[string]interface{}{"mode": "dry-run"}, `mode "dry-run"`},
		{"relative manifest", map[string]interface{}{"manifest_path": "var/x.json"}, "manifest_path"},
		{"manifest at the root", map[string]interface{}{"manifest_path": "/manifest.json"}, "a directory of its own"},
		{"manifest under /run", map[string]interface{}{"manifest_path": "/run/initcompat/m.json"}, "persistent, writable"},
		// issue 23: settings pointing at the protocol's own files, and
		// the Packer host's own root (however spelt).
		{"manifest is the journal", map[string]interface{}{"manifest_path": "/var/lib/.initcompat-journal"}, "initcompat's own"},
		{"manifest is the baseline", map[string]interface{}{"manifest_path": "/var/lib/.initcompat-verify-baseline"}, "initcompat's own"},
		{"manifest in the lock", map[string]interface{}{"manifest_path": "/var/lib/.initcompat-lock/pid"}, "initcompat's own"},
		{"manifest in a stage directory", map[string]interface{}{"manifest_path": "/var/lib/initcompat/.initcompat-stage/manifest.json"}, "initcompat's own"},
		{"manifest under /tmp", map[string]interface{}{"manifest_path": "/tmp/m.json"}, "persistent, writable"},
		{"root_dir is the host's /", map[string]interface{}{"root_dir": "/"}, "this machine's own root"},
		{"root_dir is the host's / spelt otherwise", map[string]interface{}{"root_dir": "/usr/.."}, "this machine's own root"},
		{"empty service", map[string]interface{}{"services": []string{"hello", " "}}, "empty name"},
		{"execute_command without the shell", map[string]interface{}{"execute_command": "doas sh"}, "{{.Command}}"},
		{"unknown key", map[string]interface{}{"servcies": []string{"x"}}, "servcies"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := new(Provisioner)
			err := p.Prepare(c.raw)
			if c.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				// Prepare again with the same input: same result.
				first := p.config
				if err := p.Prepare(c.raw); err != nil {
					t.Fatal(err)
				}
				if p.config.Mode != "apply" || p.config.ManifestPath != "/var/lib/initcompat/manifest.json" ||
					len(p.config.Services) != len(first.Services) {
					t.Errorf("defaults after two Prepares: %+v", p.config)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("got %v, want an error mentioning %q", err, c.err)
			}
		})
	}
}

func TestRemoteCommand(t *testing.T) {
	for _, c := range []struct {
		raw  map[string]interface{}
		user string
		want string
	}{
		{map[string]interface{}{}, "root", "sh -s"},
		{map[string]interface{}{}, "ubuntu", autoSudo},
		{map[string]interface{}{"use_sudo": true}, "root", "sudo -n sh -s"},
		{map[string]interface{}{"use_sudo": false}, "ubuntu", "sh -s"},
		{map[string]interface{}{"execute_command": "doas {{.Command}}"}, "ubuntu", "doas sh -s"},
	} {
		p := new(Provisioner)
		if err := p.Prepare(c.raw); err != nil {
			t.Fatal(err)
		}
		got, err := p.remoteCommand(map[string]interface{}{"User": c.user})
		if err != nil || got != c.want {
			t.Errorf("%v as %s: %q, %v; want %q", c.raw, c.user, got, err, c.want)
		}
	}
}

// failComm answers every command with a fixed exit status and stderr, as a
// remote host with a password-protected sudo or a dropped link would.
type failComm struct {
	shellComm
	status int
	stderr string
}

func (c *failComm) Start(_ context.Context, rc *packersdk.RemoteCmd) error {
	_, _ = io.Copy(io.Discard, rc.Stdin)
	_, _ = rc.Stderr.Write([]byte(c.stderr))
	go rc.SetExited(c.status)
	return nil
}

func TestRemoteErrorsSayWhatToDo(t *testing.T) {
	for _, c := range []struct {
		status int
		stderr string
		want   string
	}{
		{1, "sudo: a password is required\n", "NOPASSWD"},
		{127, "sh: 1: sudo: not found\n", "use_sudo = false"},
		{2300218, "", "connection ended"},
		{2, "tar: something broke\n", "exit status 2: tar: something broke"},
	} {
		r := &remote{comm: &failComm{status: c.status, stderr: c.stderr}, command: autoSudo}
		_, _, err := r.Snapshot(context.Background(), nil, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("exit %d %q: got %v, want %q", c.status, c.stderr, err, c.want)
		}
	}
}

func TestCheckModeFailsAndPlanWritesNothing(t *testing.T) {
	dir := helloImage(t)
	before := fingerprint(t, dir)
	for mode, wantErr := range map[string]bool{"plan": false, "check": true} {
		p := new(Provisioner)
		if err := p.Prepare(map[string]interface{}{"root_dir": dir, "mode": mode}); err != nil {
			t.Fatal(err)
		}
		ui := newRecordUI(t)
		err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"})
		if (err != nil) != wantErr {
			t.Errorf("mode %s: err %v\n%s", mode, err, ui)
		}
		if !strings.Contains(ui.String(), map[string]string{"plan": "hello: lsb-redirect: write /etc/init.d/hello (1 file, 7 links", "check": "hello: lsb-redirect: write /etc/init.d/hello (1 file, 7 links"}[mode]) {
			t.Errorf("mode %s did not print the plan:\n%s", mode, ui)
		}
	}
	if fingerprint(t, dir) != before {
		t.Fatal("plan or check mode changed the image")
	}
	// A named service that is not there fails before anything is written.
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir, "services": []string{"helo"}}); err != nil {
		t.Fatal(err)
	}
	ui := newRecordUI(t)
	err := p.Provision(context.Background(), ui, nil, nil)
	if err == nil || !strings.Contains(ui.String(), "ERROR   error [scope helo] service \"helo\" is not in the image") ||
		!strings.Contains(ui.String(), "did you mean hello?") || !strings.Contains(err.Error(), "was not changed: 1 error, listed above") {
		t.Fatalf("got %v\n%s", err, ui)
	}
	if fingerprint(t, dir) != before {
		t.Fatal("a failed build changed the image")
	}
}

// The HCL form of every list and of the repeatable ordering block reaches
// the policy.
func TestHCLOrderingBlocks(t *testing.T) {
	p := new(Provisioner)
	cfg := hclConfig(t, `
start_after_user_data = ["postfix"]
mask    = ["update-engine", "locksmithd"]
disable = ["hello"]
ordering {
  unit  = "app"
  after = ["db.service"]
  requires_mounts_for = ["/srv"]
}
ordering {
  unit  = "worker.service"
  wants = ["redis.service"]
}
`)
	if err := p.Prepare(cfg); err != nil {
		t.Fatal(err)
	}
	pol, err := p.Policy(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// start_after_user_data first, each rule named by the key it came from.
	if o := pol.Ordering; len(o) != 3 || o[0].Unit != "postfix.service" || !o[0].AfterUserData || o[0].Source != plan.SourceStartAfterUserData ||
		o[1].Unit != "app" || o[1].RequiresMountsFor[0] != "/srv" || o[1].Source != plan.SourceOrdering || o[1].AfterUserData ||
		o[2].Wants[0] != "redis.service" || len(pol.Mask) != 2 || pol.Disable[0] != "hello" {
		t.Fatalf("policy: %+v", pol)
	}
	if err := new(Provisioner).Prepare(map[string]interface{}{"ordering": []map[string]interface{}{{"unit": "app"}}}); err == nil ||
		!strings.Contains(err.Error(), "set after, before, wants or requires_mounts_for") {
		t.Fatalf("an empty ordering block: %v", err)
	}
}

// A plan of many services is shown by shim, in one
// call after the headline.
func TestLargePlanIsBrief(t *testing.T) {
	dir := helloImage(t)
	for i := 0; i < 30; i++ {
		name := fmt.Sprintf("etc/systemd/system/svc%02d.service", i)
		if err := os.WriteFile(filepath.Join(dir, name), []byte("[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir, "mode": "plan"}); err != nil {
		t.Fatal(err)
	}
	ui := newRecordUI(t)
	if err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"}); err != nil {
		t.Fatal(err)
	}
	out := ui.String()
	if !strings.Contains(out, "lsb-redirect for 31 services (hello svc00 svc01 ... svc29): write /etc/init.d/hello (31 files, 217 links") ||
		strings.Contains(out, "symlink /etc/rc2.d/K01svc07") || strings.Contains(out, "svc07") {
		t.Fatalf("a %d-service plan is not shown by shim:\n%s", 31, out)
	}
}

// A root_dir that holds no image fails the build, naming what an image root
// contains, in every mode: an empty directory (a mount point not yet
// mounted) and the host's /etc (root_dir set one level too deep) would
// otherwise plan nothing and pass. The same tree with an os-release passes.
func TestRootDirWithoutImage(t *testing.T) {
	empty := t.TempDir()
	etcLike := t.TempDir()
	for _, f := range []string{"passwd", "hostname", "init.d/cron"} {
		p := filepath.Join(etcLike, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, dir := range map[string]string{"empty": empty, "etc": etcLike} {
		for _, mode := range []string{"apply", "plan", "check"} {
			before := fingerprint(t, dir)
			p := new(Provisioner)
			if err := p.Prepare(map[string]interface{}{"root_dir": dir, "mode": mode}); err != nil {
				t.Fatal(err)
			}
			err := p.Provision(context.Background(), newRecordUI(t), nil, nil)
			if err == nil || !strings.Contains(err.Error(), "holds no image") || !strings.Contains(err.Error(), "etc/os-release") {
				t.Errorf("%s, mode %s: got %v, want the build to fail naming what an image root contains", name, mode, err)
			}
			if fingerprint(t, dir) != before {
				t.Errorf("%s, mode %s: the failed build changed the directory", name, mode)
			}
		}
	}
	// The control: an os-release makes it an image (with nothing to do).
	if err := os.MkdirAll(filepath.Join(empty, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(empty, "etc/os-release"), []byte("ID=debian\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": empty, "mode": "plan"}); err != nil {
		t.Fatal(err)
	}
	if err := p.Provision(context.Background(), newRecordUI(t), nil, nil); err != nil {
		t.Fatalf("a directory with etc/os-release: %v", err)
	}
}
