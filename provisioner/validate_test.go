package provisioner

import (
	"strings"
	"testing"
)

// Prepare refuses, naming the attribute, every value no image could make
// right (issue 36: `packer validate` said "The configuration is valid."
// for the first four, and only the build refused them). Each is written
// in HCL, as a user writes it, and decoded with the plugin's own spec.
func TestPrepareRefusesWhatNoImageFixes(t *testing.T) {
	for _, c := range []struct {
		name, hcl string
		want      []string // each in the error
	}{
		{"a path as a service", `services = ["hello", "a/b"]`, []string{`services[1] = "a/b": not a service name`}},
		{"a path as a mask", `mask = ["../../../etc/passwd"]`, []string{`mask[0] = "../../../etc/passwd": not a unit name`}},
		{"a newline in after", `
ordering {
  unit  = "app"
  after = ["db.service\n[Service]\nExecStartPre=/bin/sh"]
}`, []string{`ordering[0].after[0] = "db.service\n[Service]\nExecStartPre=/bin/sh": not a unit name`}},
		{"a relative requires_mounts_for", `
ordering {
  unit                = "app"
  requires_mounts_for = ["srv/data"]
}`, []string{`ordering[0].requires_mounts_for[0] = "srv/data": not an absolute path`}},
		{"a requires_mounts_for with a space", `
ordering {
  unit                = "app"
  requires_mounts_for = ["/srv /data"]
}`, []string{`ordering[0].requires_mounts_for[0] = "/srv /data": not a clean absolute path`}},
		{"a requires_mounts_for with a CR", `
ordering {
  unit                = "app"
  requires_mounts_for = ["/srv\r[Service]"]
}`, []string{`ordering[0].requires_mounts_for[0] = "/srv\r[Service]": not a clean`}},
		{"an unclean requires_mounts_for", `
ordering {
  unit                = "app"
  requires_mounts_for = ["/srv/../etc"]
}`, []string{`requires_mounts_for[0] = "/srv/../etc"`}},
		{"a bare after", `
ordering {
  unit  = "app"
  after = ["db"]
}`, []string{`ordering[0].after[0] = "db": not a unit name`, `with its type`}},
		{"a hostile ordering unit", `
ordering {
  unit   = "../../etc/passwd"
  before = ["x.target"]
}`, []string{`ordering[0].unit = "../../etc/passwd": not a unit name`}},
		{"an escape in start_after_user_data", `start_after_user_data = ["postfix\u001b[2J"]`, []string{`start_after_user_data[0] = "postfix\x1b[2J": not a unit name`}},
		{"a space in disable", `disable = ["update engine"]`, []string{`disable[0] = "update engine"`}},
		{"a path as a foreground script", `foreground_init_scripts = ["/etc/init.d/x"]`, []string{`foreground_init_scripts[0] = "/etc/init.d/x": not an init script's name`}},
		{"two errors at once", `
services = ["ok", "x;y"]
mask     = ["a/b"]`, []string{`services[1] = "x;y"`, `mask[0] = "a/b"`}},
		{"a resource no template can hold", `
cfn_init {
  template_file = "stack.yaml"
  resource      = "Web Server"
}`, []string{`cfn_init[0].resource = "Web Server": not a CloudFormation logical ID`}},
		{"a stack name CloudFormation refuses", `
cfn_init {
  stack_name = "my_stack"
}`, []string{`cfn_init[0].stack_name = "my_stack": not a stack name`}},
		{"a region with a typo", `
cfn_init {
  stack_name = "web"
  region     = "us-east1"
}`, []string{`cfn_init[0].region = "us-east1"`}},
		{"an endpoint without a scheme", `
cfn_init {
  stack_name = "web"
  endpoint   = "cloudformation.local:4566"
}`, []string{`cfn_init[0].endpoint = "cloudformation.local:4566": not an http(s) URL`}},
		{"an empty config set", `
cfn_init {
  template_file = "stack.yaml"
  config_sets   = [""]
}`, []string{`cfn_init[0].config_sets[0] = ""`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := new(Provisioner).Prepare(hclConfig(t, c.hcl))
			if err == nil {
				t.Fatalf("Prepare accepted:\n%s", c.hcl)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not say %q:\n%v", w, err)
				}
			}
			if strings.ContainsFunc(err.Error(), func(r rune) bool { return r == '\r' || r == 0x1b }) {
				t.Errorf("the error carries the value's controls raw: %q", err)
			}
		})
	}
}

// What Prepare must keep accepting: every form the docs and examples
// use, names that are only known once the build runs (`packer validate`
// passes "<unknown>"), and Upstart job or init script names that are no
// unit names.
func TestPrepareAcceptsWhatAnImageMayHold(t *testing.T) {
	for _, src := range []string{
		`services = ["*"]`,
		`services = ["hello", "hello.service", "postfix@", "network-manager", "php7.4-fpm", "libvirt+guests", " spaced "]`,
		`mask = ["update-engine", "locksmithd.service", "systemd-resolved.socket"]`,
		`disable = ["hello"]`,
		`start_after_user_data = ["postfix"]`,
		`foreground_init_scripts = ["mydaemon", "mydaemon.service"]`,
		`
ordering {
  unit                = "app"
  after               = ["db.service", "remote-fs.target", "getty@tty1.service"]
  wants               = ["redis.service"]
  requires_mounts_for = ["/srv", "/var/lib/app"]
}`,
		`
cfn_init {
  template_file = "stack.yaml"
  resource      = "WebServer01"
  config_sets   = ["default", "install_and_run"]
}`,
		`
cfn_init {
  stack_name = "arn:aws:cloudformation:us-gov-west-1:123456789012:stack/web/1e2d3c4b-0000-11ee-9a8b-0a1b2c3d4e5f"
  region     = "us-gov-west-1"
  endpoint   = "http://127.0.0.1:4566"
}`,
	} {
		if err := new(Provisioner).Prepare(hclConfig(t, src)); err != nil {
			t.Errorf("Prepare refused:\n%s\n%v", src, err)
		}
	}
	unknown := map[string]interface{}{
		"services": []string{unknownValue}, "mask": []string{unknownValue}, "start_after_user_data": []string{unknownValue},
		"foreground_init_scripts": []string{unknownValue},
		"ordering":                []map[string]interface{}{{"unit": unknownValue, "after": []string{unknownValue}, "requires_mounts_for": []string{unknownValue}}},
		"cfn_init":                []map[string]interface{}{{"stack_name": unknownValue, "region": unknownValue, "endpoint": unknownValue}},
	}
	if err := new(Provisioner).Prepare(unknown); err != nil {
		t.Errorf("values known only at build time refused: %v", err)
	}
}
