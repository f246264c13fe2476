//go:build linux

package provisioner

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// ciSafe fails the test when what a build showed could act on a terminal
// or a CI runner: any control but the line breaks Packer prefixes (LF), a
// byte that is not UTF-8, or a runner's command at the start of a line
// (.NET's line reader, which GitHub's runner and Azure's agent use, also
// ends a line at CR) or `##vso[` / `##[` anywhere. want is the planted
// text as escapeText shows it, which must be there: escaped, not dropped.
func ciSafe(t *testing.T, what, out string, want ...string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: not UTF-8: %q", what, out)
	}
	for _, r := range out {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) {
			t.Errorf("%s: a raw control %U reaches the build log: %q", what, r, out)
			break
		}
	}
	for _, line := range strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l := strings.TrimSpace(strings.TrimPrefix(line, "ERROR ")); strings.HasPrefix(l, "::") {
			t.Errorf("%s: a line a runner reads as a command: %q", what, line)
		}
		if strings.Contains(line, "##vso[") || strings.Contains(line, "##[") {
			t.Errorf("%s: a logging command in a line: %q", what, line)
		}
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s: %q is not shown (escaped) in:\n%s", what, w, out)
		}
	}
}

// The os-release ID is the image's to write: a CR and an escape sequence
// in it once put `::error::` at the start of a logical line of the build
// log (issue 34, item 4). Through the provisioner, plan and apply.
func TestOSReleaseIDEscaped(t *testing.T) {
	dir := helloImage(t)
	id := "ID=\"debian\r::error::planted by the image\x1b[2K\x07\"\nVERSION_ID=\"12\"\n"
	if err := os.WriteFile(filepath.Join(dir, "etc/os-release"), []byte(id), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"plan", "apply"} {
		out, err := run(t, dir, map[string]interface{}{"mode": mode, "verify": false})
		if err != nil {
			t.Fatalf("mode %s: %v\n%s", mode, err, out)
		}
		ciSafe(t, "os-release, mode "+mode, out, `debian\x0d::error::planted by the image\x1b[2K\x07`)
	}
}

// An Upstart job's file name is the image's too: a job named with CR,
// ESC and BEL reached the UI raw in the scope list and in its finding.
func TestUpstartJobNameEscaped(t *testing.T) {
	dir := upstartImage(t)
	job := filepath.Join(dir, "etc/init", "evil\r::add-mask::secret\x1b]0;title\x07.conf")
	if err := os.WriteFile(job, []byte("start on runlevel [2345]\nexec /bin/true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"plan", "apply"} {
		out, err := run(t, dir, map[string]interface{}{"mode": mode, "verify": false})
		if err != nil {
			t.Fatalf("mode %s: %v\n%s", mode, err, out)
		}
		ciSafe(t, "Upstart job name, mode "+mode, out, `evil\x0d::add-mask::secret\x1b]0;title\x07`)
	}
}

// A CloudFormation template is not the user's own either (a marketplace
// or a shared stack's): its resource and service names reach the plan's
// cfn-init line, and the service that is not in the image its error.
func TestCloudFormationNamesEscaped(t *testing.T) {
	dir := helloImage(t)
	resource := "Web\r##vso[task.setvariable variable=AWS_SECRET]stolen"
	service := "hello\r::error::from the template\x1b[0m"
	tmpl := map[string]any{"Resources": map[string]any{resource: map[string]any{
		"Type": "AWS::EC2::Instance",
		"Metadata": map[string]any{"AWS::CloudFormation::Init": map[string]any{"config": map[string]any{
			"services": map[string]any{"sysvinit": map[string]any{service: map[string]any{"enabled": "true"}}}}}},
	}}}
	data, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "stack.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, dir, map[string]interface{}{"mode": "plan", "cfn_init": []map[string]interface{}{{"template_file": file}}})
	if err == nil {
		t.Fatalf("a cfn-init service missing from the image passed:\n%s", out)
	}
	ciSafe(t, "CloudFormation names", packerShows(out, err),
		`Web\x0d#\x23vso[task.setvariable variable=AWS_SECRET]stolen`, `hello\x0d::error::from the template\x1b[0m`)

	// The resource named in the block, which the template lacks: the
	// build's error names the template's resources.
	out, err = run(t, dir, map[string]interface{}{"mode": "plan", "cfn_init": []map[string]interface{}{{"template_file": file, "resource": "Other"}}})
	if err == nil {
		t.Fatalf("a resource the template lacks passed:\n%s", out)
	}
	if strings.Contains(err.Error(), "\r") || strings.Contains(err.Error(), "\n") {
		t.Errorf("the build's error is not one line: %q", err)
	}
	ciSafe(t, "CloudFormation error", packerShows(out, err))
}

// What a remote command prints on stderr is quoted into the build's error:
// one line, its controls shown, the cause kept for errors.As.
func TestRemoteStderrEscaped(t *testing.T) {
	stderr := "tar: broke\r::error::from the image\x1b[31m\n##vso[task.complete result=Succeeded]\n"
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"use_sudo": false}); err != nil {
		t.Fatal(err)
	}
	ui := newRecordUI(t)
	err := p.Provision(context.Background(), ui, &failComm{status: 2, stderr: stderr}, map[string]interface{}{"ConnType": "ssh", "User": "root"})
	if err == nil {
		t.Fatal("a failed snapshot passed")
	}
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Errorf("the build's error is not one line: %q", err)
	}
	ciSafe(t, "remote stderr", packerShows(ui.String(), err), `tar: broke\x0d::error::from the image\x1b[31m\x0a#\x23vso[task.complete`)
	var safe safeError
	if !errors.As(err, &safe) || !strings.Contains(safe.err.Error(), "\r::error::") {
		t.Errorf("the cause is not kept under the escaped error: %#v", err)
	}
}

// A build cancelled before the plugin's commit (timeout, Ctrl-C; here
// before Provision begins, as timeout = "1ms" does) says what it had
// read and planned and that nothing was committed, and the image is as
// it was.
func TestCancelledBuildSaysWhatItHad(t *testing.T) {
	dir := helloImage(t)
	before := fingerprint(t, dir)
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir, "verify": false}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ui := newRecordUI(t)
	err := p.Provision(ctx, ui, nil, map[string]interface{}{"ConnType": "none"})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled build: %v\n%s", err, ui)
	}
	want := regexp.MustCompile(`(?m)^cancelled \(context canceled\) after reading [1-9][0-9]* paths of the image \(systemd, debian 12\) and planning [1-9][0-9]* changes and 0 findings \(above\); ` +
		`nothing was committed: the apply stopped before its commit and removed whatever it had staged, so the image is as it was$`)
	if !want.MatchString(ui.String()) {
		t.Errorf("the UI does not say what the cancelled build had:\n%s\nwant the line:\n%s", ui, want)
	}
	if fingerprint(t, dir) != before {
		t.Error("the cancelled build changed the image")
	}
}
