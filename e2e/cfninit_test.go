package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The template that will launch the image, read at build time: hello (a
// packaged-style unit, so in scope only because the template names it)
// becomes controllable by cfn-init; a template naming a service the image
// lacks fails the build and leaves the image as it was.
func TestCfnInitTemplate(t *testing.T) {
	requireBoot(t)
	img := newImage(t, suites[0])
	installHello(t, img)
	// A unit under /usr/lib, as a package would install it.
	unit := filepath.Join(img, "etc/systemd/system/hello.service")
	if err := os.Rename(unit, filepath.Join(img, "usr/lib/systemd/system/hello.service")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(img, "etc/systemd/system/multi-user.target.wants/hello.service")
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/lib/systemd/system/hello.service", link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(img, "var/lib/dpkg/info/hello.list"), []byte("/lib/systemd/system/hello.service\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, svc string) string {
		p := filepath.Join(dir, name)
		body := "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  WebServer:\n    Type: AWS::EC2::Instance\n    Metadata:\n" +
			"      AWS::CloudFormation::Init:\n        config:\n          services:\n            sysvinit:\n              " + svc +
			":\n                enabled: \"false\"\n                ensureRunning: \"false\"\n    Properties:\n      ImageId: !Ref Ami\n" +
			"      UserData: !Base64\n        Fn::Sub: \"/opt/aws/bin/cfn-init -s ${AWS::StackName} -r WebServer\"\n"
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// A template naming "helo": the build fails, nothing changes.
	before := fingerprint(t, img)
	out, ok := packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": img, "cfn_templates": `["` + write("typo.yaml", "helo") + `"]`})
	if ok {
		t.Fatal("a template naming a missing service built")
	}
	contains(t, out, "resource WebServer config config services.sysvinit.helo", "missing service")
	contains(t, out, "did you mean hello?", "missing service")
	if fingerprint(t, img) != before {
		t.Fatal("the failed build changed the image")
	}

	out, ok = packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": img, "cfn_templates": `["` + write("stack.yaml", "hello") + `"]`})
	if !ok {
		t.Fatal("packer build failed")
	}
	contains(t, out, "cfn-init: "+filepath.Join(dir, "stack.yaml")+" resource WebServer config config services.sysvinit.hello", "plan")
	m := boot(t, img)
	m.must("systemctl is-active hello")
	cfnInit(m, false, false)
	m.expect(3, "systemctl is-active hello")
	if got := m.must("systemctl is-enabled hello || true"); !strings.Contains(got, "disabled") {
		m.fail("is-enabled after cfn-init's disable: %q", got)
	}
}

// cfn-init 2.x's systemd key runs /usr/bin/systemctl only. On an image
// without merged /usr, systemctl is /bin/systemctl alone (FACTS.md had this
// unverified; this test shows it), and initcompat links it.
func TestSystemctlPathOnSplitUsr(t *testing.T) {
	requireBoot(t)
	img := copyImage(t, splitUsrImage(t, "bullseye"))
	if _, err := os.Lstat(filepath.Join(img, "usr/bin/systemctl")); err == nil {
		t.Fatal("the split-/usr image has /usr/bin/systemctl already; nothing to prove")
	}
	if _, err := os.Stat(filepath.Join(img, "bin/systemctl")); err != nil {
		t.Fatalf("no /bin/systemctl: %v", err)
	}
	installHello(t, img)
	tmpl := filepath.Join(t.TempDir(), "stack.yaml")
	if err := os.WriteFile(tmpl, []byte("Resources:\n  App:\n    Type: AWS::EC2::Instance\n    Metadata:\n      AWS::CloudFormation::Init:\n"+
		"        config:\n          services:\n            systemd:\n              hello: {enabled: \"true\", ensureRunning: \"true\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, ok := packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": img, "cfn_templates": `["` + tmpl + `"]`})
	if !ok {
		t.Fatal("packer build failed")
	}
	contains(t, out, "symlink /usr/bin/systemctl -> /bin/systemctl", "plan")
	noChanges(t, map[string]string{"root_dir": img, "cfn_templates": `["` + tmpl + `"]`})
	m := boot(t, img)
	// What cfn-init 2.x runs for {enabled: true, ensureRunning: true}.
	m.must("/usr/bin/systemctl enable hello")
	m.must("/usr/bin/systemctl is-active hello")
}
