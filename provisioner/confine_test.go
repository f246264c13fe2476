//go:build linux

package provisioner

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/internal/confine"
)

// needAnalyzer skips without this host's systemd-analyze, or without the
// root that confining it takes; under INITCOMPAT_E2E=1 (.ci/run, root)
// either fails instead.
func needAnalyzer(t *testing.T) {
	t.Helper()
	why := ""
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		why = "no systemd-analyze on this host (.ci/run installs systemd)"
	} else if os.Geteuid() != 0 {
		why = "confining systemd-analyze to root_dir takes root (a private mount namespace)"
	}
	if why == "" {
		return
	}
	if os.Getenv("INITCOMPAT_E2E") == "1" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// canary is in the Packer host's file only: wherever it shows, the host's
// file was read.
const canary = "CANARY-d41f9-host-only"

// hostileImage is the hello image booting to multi-user.target (so that
// systemd-analyze verify default.target loads what hello pulls in) whose
// /etc/systemd/system/cloud-final.service is link, an absolute path
// outside the image.
func hostileImage(t *testing.T, link string) string {
	t.Helper()
	dir := helloImage(t)
	for p, target := range map[string]string{
		"etc/systemd/system/default.target":      "/usr/lib/systemd/system/multi-user.target",
		"etc/systemd/system/cloud-final.service": link,
	} {
		if err := os.Symlink(target, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// hostSecret writes a unit file that exists only on this host, with the
// canary where systemd-analyze quotes it (an unknown key).
func hostSecret(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "host-secret.service")
	unit := "[Unit]\nDescription=" + canary + "\n" + canary + "_KEY=" + canary + "\n[Service]\nExecStart=/bin/" + canary + "\n"
	if err := os.WriteFile(p, []byte(unit), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Issue 34 item 1: an image whose cloud-final.service is an absolute link
// to a file that exists only on the Packer host, built with
// start_after_user_data. The host's systemd-analyze verify --root followed
// the link on the host: the file's content reached the build log,
// report_file and the baseline the apply writes into the image.
func TestRootDirVerifyNeverReadsTheHost(t *testing.T) {
	needAnalyzer(t)
	secret := hostSecret(t)
	dir := hostileImage(t, secret)
	report := filepath.Join(t.TempDir(), "report.json")
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir, "start_after_user_data": []string{"hello"}, "report_file": report}); err != nil {
		t.Fatal(err)
	}
	ui := newRecordUI(t)
	err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"})
	rep, _ := os.ReadFile(report)
	for what, s := range map[string]string{"the build log": ui.String(), "report_file": string(rep), "the error": errString(err)} {
		if strings.Contains(s, canary) {
			t.Errorf("the host's file reached %s:\n%s", what, s)
		}
	}
	// What the apply writes into the image as its baseline is what
	// analyze says, as the build runs it: after canVerify.
	tr, terr := p.transport(ui, nil, map[string]interface{}{"ConnType": "none"})
	if terr != nil {
		t.Fatal(terr)
	}
	l := tr.(*local)
	img, _, terr := l.Snapshot(context.Background(), initcompat.Watches(plan.Policy{}), false)
	if terr != nil {
		t.Fatal(terr)
	}
	if ok, why, err := l.canVerify(img, &plan.Plan{Summary: plan.Summary{Init: string(inspect.Systemd)}}, false); !ok || err != nil {
		t.Fatalf("canVerify: %v %s %v", ok, why, err)
	}
	out, aerr := l.analyze(context.Background())
	if aerr != nil {
		t.Fatal(aerr)
	}
	if strings.Contains(out, canary) {
		t.Errorf("the host's file reached systemd-analyze's output, the baseline:\n%s", out)
	}
	if !strings.Contains(out, "cloud-final.service") {
		t.Errorf("systemd-analyze did not look at the link at all:\n%s", out)
	}
}

// The same image with cloud-final.service a link to a FIFO on the host:
// the host's systemd-analyze opened it and waited for a writer until its
// timeout. The build takes what a verify takes.
func TestRootDirVerifyNeverOpensAHostFIFO(t *testing.T) {
	needAnalyzer(t)
	fifo := filepath.Join(t.TempDir(), "host-fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	defer func(d time.Duration) { analyzeTimeout = d }(analyzeTimeout)
	analyzeTimeout = 30 * time.Second
	dir := hostileImage(t, fifo)
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir, "start_after_user_data": []string{"hello"}}); err != nil {
		t.Fatal(err)
	}
	ui := newRecordUI(t)
	start := time.Now()
	err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"})
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the build took %v: the host's FIFO held it", took)
	}
	if err != nil && strings.Contains(err.Error(), "did not finish") {
		t.Errorf("the analyzer hung on the host's FIFO: %v", err)
	}
}

// A link to a FIFO inside the image, where a confined analyzer resolves
// it, holds nothing either: the check's view of the image has no FIFOs.
func TestRootDirVerifyNeverOpensAnImageFIFO(t *testing.T) {
	needAnalyzer(t)
	defer func(d time.Duration) { analyzeTimeout = d }(analyzeTimeout)
	analyzeTimeout = 30 * time.Second
	dir := hostileImage(t, "/srv/fifo")
	if err := os.MkdirAll(filepath.Join(dir, "srv"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "srv/fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, dir)
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir, "start_after_user_data": []string{"hello"}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := p.Provision(context.Background(), newRecordUI(t), nil, map[string]interface{}{"ConnType": "none"})
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the build took %v: the image's FIFO held it", took)
	}
	if err != nil && strings.Contains(err.Error(), "did not finish") {
		t.Errorf("the analyzer hung on the image's FIFO: %v", err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "srv/fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the image's FIFO is gone or changed: %v %v (before:\n%s)", fi, err, before)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// cannotConfine makes the confinement fail, as on a host without root
// nor user namespaces.
func cannotConfine(t *testing.T) {
	t.Helper()
	old := prepareConfinement
	prepareConfinement = func(context.Context, string) (*confine.Program, error) {
		return nil, errors.New("no user namespaces here")
	}
	t.Cleanup(func() { prepareConfinement = old })
}

// Where the analyzer cannot be confined, an image whose unit search path
// holds a link out of what the snapshot read is not verified, and the
// build log says why; verify = true fails, naming the link. The host's
// file is read by nothing. An image without such a link is verified as
// before, unconfined, and the check says so.
func TestRootDirVerifyUnconfinedSkipsForeignLinks(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("no systemd-analyze on this host (.ci/run installs systemd)")
	}
	cannotConfine(t)
	secret := hostSecret(t)
	report := filepath.Join(t.TempDir(), "report.json")
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": hostileImage(t, secret), "start_after_user_data": []string{"hello"}, "report_file": report}); err != nil {
		t.Fatal(err)
	}
	ui := newRecordUI(t)
	if err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"}); err != nil {
		t.Fatalf("%v\n%s", err, ui.String())
	}
	rep, _ := os.ReadFile(report)
	if strings.Contains(ui.String(), canary) || strings.Contains(string(rep), canary) {
		t.Errorf("the host's file was read:\n%s\n%s", ui.String(), rep)
	}
	if !strings.Contains(ui.String(), "verify: skipped: systemd-analyze cannot be confined to root_dir here (no user namespaces here), and /etc/systemd/system/cloud-final.service is a link out of what initcompat read") {
		t.Errorf("the skip is not said:\n%s", ui.String())
	}

	p = new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": hostileImage(t, secret), "start_after_user_data": []string{"hello"}, "verify": true}); err != nil {
		t.Fatal(err)
	}
	ui = newRecordUI(t)
	err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"})
	if err == nil || !strings.Contains(err.Error(), "verify = true: systemd-analyze cannot be confined") || !strings.Contains(err.Error(), "cloud-final.service") || strings.Contains(ui.String(), canary) {
		t.Errorf("verify = true: %v\n%s", err, ui.String())
	}

	dir := helloImage(t)
	p = new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir}); err != nil {
		t.Fatal(err)
	}
	ui = newRecordUI(t)
	if err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"}); err != nil {
		t.Fatalf("%v\n%s", err, ui.String())
	}
	if !strings.Contains(ui.String(), "pass    systemd-analyze verify finds nothing new") {
		t.Errorf("an image without foreign links is not verified:\n%s", ui.String())
	}
}

// A search directory reached through a link the snapshot did not follow
// (its links unread) is foreign too, for an analyzer that is not
// confined: here /usr/lib/systemd is an absolute link, which the host
// would follow to its own /usr/lib/systemd.
func TestForeignSearchDirectory(t *testing.T) {
	dir := helloImage(t)
	if err := os.RemoveAll(filepath.Join(dir, "usr/lib/systemd")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/lib/systemd", filepath.Join(dir, "usr/lib/systemd")); err != nil {
		t.Fatal(err)
	}
	l := &local{dir: dir}
	img, _, err := l.Snapshot(context.Background(), initcompat.Watches(plan.Policy{}), false)
	if err != nil {
		t.Fatal(err)
	}
	got := l.foreignLinks(img)
	if !slices.Contains(got, "/usr/lib/systemd/system") || !slices.Contains(got, "/lib/systemd/system") {
		t.Errorf("foreignLinks = %q", got)
	}
}
