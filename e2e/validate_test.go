package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// packerValidate runs the pinned Packer's `packer validate` on a template
// holding one initcompat block with body, and returns the template's path,
// Packer's output and whether it called the template valid.
func packerValidate(t *testing.T, body string) (string, string, bool) {
	t.Helper()
	packer := filepath.Join(repo, "bin", "packer")
	plugins := filepath.Join(repo, "bin", "plugins")
	if _, err := os.Stat(packer); err != nil {
		msg := packer + " is missing: run make dev (it builds the pinned Packer and installs the plugin)"
		if os.Getenv("INITCOMPAT_E2E") == "1" || os.Getenv("PACKER_ACC") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	tmpl := filepath.Join(t.TempDir(), "build.pkr.hcl")
	src := "source \"null\" \"image\" {\n  communicator = \"none\"\n}\n\nbuild {\n  sources = [\"source.null.image\"]\n\n" +
		"  provisioner \"initcompat\" {\n    root_dir = \"/var/tmp/image\"\n" + body + "\n  }\n}\n"
	if err := os.WriteFile(tmpl, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(packer, "validate", tmpl)
	cmd.Env = append(os.Environ(), "PACKER_PLUGIN_PATH="+plugins, "CHECKPOINT_DISABLE=1")
	out, err := cmd.CombinedOutput()
	t.Logf("$ packer validate %s\n%s", tmpl, indent(string(out)))
	return tmpl, string(out), err == nil
}

// `packer validate` fails on what no image could make right (issue 36:
// before, it said "The configuration is valid." to each, and only the
// build refused them, on amazon-ebs after an instance launch). Packer
// names the template and the line of the provisioner block (the plugin
// protocol carries Prepare's error as a string, without a range:
// provisioner/validate.go); the plugin's message names the attribute.
func TestPackerValidateRefuses(t *testing.T) {
	for _, c := range []struct{ name, body, attribute string }{
		{"a path as a service", `    services = ["hello", "a/b"]`, `services[1] = "a/b"`},
		{"a path as a mask", `    mask = ["../../../etc/passwd"]`, `mask[0] = "../../../etc/passwd"`},
		{"a newline in after", "    ordering {\n      unit  = \"app\"\n      after = [\"db.service\\nExecStartPre=/bin/sh\"]\n    }", `ordering[0].after[0] = "db.service\nExecStartPre=/bin/sh"`},
		{"a relative requires_mounts_for", "    ordering {\n      unit                = \"app\"\n      requires_mounts_for = [\"srv/data\"]\n    }", `ordering[0].requires_mounts_for[0] = "srv/data"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmpl, out, ok := packerValidate(t, c.body)
			if ok || strings.Contains(out, "The configuration is valid") {
				t.Fatalf("packer validate accepted %s", c.body)
			}
			// Packer's diagnostic: the file and the provisioner block's line (8).
			if !strings.Contains(out, "on "+tmpl+" line 8:") {
				t.Errorf("Packer does not name the template and the block's line (on %s line 8:)", tmpl)
			}
			if !strings.Contains(out, c.attribute) {
				t.Errorf("the error does not name the attribute and value %s", c.attribute)
			}
		})
	}
	// The control: the same template with values an image may hold.
	if _, out, ok := packerValidate(t, "    services = [\"hello\"]\n    mask = [\"update-engine\"]\n    ordering {\n      unit = \"app\"\n      after = [\"db.service\"]\n      requires_mounts_for = [\"/srv/data\"]\n    }"); !ok || !strings.Contains(out, "The configuration is valid") {
		t.Fatalf("packer validate refused a valid template:\n%s", out)
	}
}
