package provisioner

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// What Prepare can refuse without the image: every value that no image
// could make right. `packer validate` runs Prepare and nothing else, so a
// typo found here costs nothing, where the build finds it only after the
// builder has started (on amazon-ebs, an instance launched).
//
// Where Packer shows the error: Packer core decodes the block with the
// plugin's ConfigSpec (hcl2template/decode.go, hcldec.Decode), so a wrong
// type or an unknown attribute is reported with the attribute's own file,
// line and column. Prepare's error is a plain string over the plugin
// protocol (packer-plugin-sdk rpc/error.go, BasicError{Message}), which
// Packer wraps in one diagnostic whose Subject is the provisioner block's
// definition range (hashicorp/packer v1.16.0,
// hcl2template/types.build.provisioners.go, startProvisioner: "Failed
// preparing ..."), so the file and line Packer prints are those of
// `provisioner "initcompat" {`. Nothing finer can cross: the spec travels
// as gob or protobuf (rpc/common.go, ConfigSpec; rpc/convert.go, ToProto)
// of attribute, block and object specs only, so an hcldec.ValidateSpec,
// whose check is a Go func and whose diagnostics would carry the
// attribute's range, cannot reach Packer core. Each message therefore
// starts with the attribute's path as HCL indexes it (`services[1]`,
// `ordering[0].after[2]`), and quotes the value with its controls escaped.

// unknownValue is what Packer hands Prepare, during `packer validate`, for
// a string whose value is known only once the build runs (hashicorp/packer
// hcl2template/shim/values.go, WriteUnknownPlaceholderValues); the build
// prepares again with the real value, which is checked then.
const unknownValue = "<unknown>"

// scriptName is what update-rc.d, insserv and run-parts accept as the name
// of an /etc/init.d script: initcompat's own rule for the scripts it
// writes and reads (initcompat/shim_lsb.go, scriptName).
var scriptName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]*$`)

// logicalID is a CloudFormation resource's logical ID: alphanumeric, at
// most 255 characters (AWS CloudFormation User Guide, "Resources" section
// syntax: "The logical ID must be alphanumeric (A-Za-z0-9) and unique
// within the template").
var logicalID = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)

// stackName is a stack's name (CreateStack: "[a-zA-Z][-a-zA-Z0-9]*", at
// most 128 characters) or its ID, an ARN.
var stackName = regexp.MustCompile(`^([A-Za-z][-A-Za-z0-9]{0,127}|arn:[-a-z]+:cloudformation:[-a-z0-9]+:[0-9]{12}:stack/[A-Za-z][-A-Za-z0-9]*/[-0-9a-f]+)$`)

// awsRegion is the shape of a region's code ("us-east-1",
// "us-gov-west-1", "eusc-de-east-1"), loose enough for new partitions.
var awsRegion = regexp.MustCompile(`^[a-z]{2,5}(-[a-z]+)+-[0-9]+$`)

// checker gathers what is wrong with a configuration.
type checker struct{ errs []error }

func (c *checker) add(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// validate returns every error in c that needs no image, the attribute
// first in each. It does not change c.
func (c *Config) validate() []error {
	var ck checker
	for i, s := range c.Services {
		if s != "*" {
			ck.service(fmt.Sprintf("services[%d]", i), s)
		}
	}
	for key, list := range map[string][]string{"start_after_user_data": c.StartAfterUserData, "mask": c.Mask, "disable": c.Disable} {
		for i, s := range list {
			ck.unit(fmt.Sprintf("%s[%d]", key, i), s, true)
		}
	}
	for i, s := range c.ForegroundInitScripts {
		ck.script(fmt.Sprintf("foreground_init_scripts[%d]", i), s)
	}
	for i, o := range c.Ordering {
		at := fmt.Sprintf("ordering[%d]", i)
		if strings.TrimSpace(o.Unit) == "" {
			ck.add("%s.unit: unit is required (ordering block %d)", at, i+1)
		} else {
			ck.unit(at+".unit", o.Unit, true)
		}
		if len(o.After)+len(o.Before)+len(o.Wants)+len(o.RequiresMountsFor) == 0 {
			ck.add("%s: ordering block %d (%s): set after, before, wants or requires_mounts_for", at, i+1, escapeText(o.Unit))
		}
		for key, list := range map[string][]string{"after": o.After, "before": o.Before, "wants": o.Wants} {
			for j, s := range list {
				ck.unit(fmt.Sprintf("%s.%s[%d]", at, key, j), s, false)
			}
		}
		for j, m := range o.RequiresMountsFor {
			ck.mountPath(fmt.Sprintf("%s.requires_mounts_for[%d]", at, j), m)
		}
	}
	for i, ci := range c.CfnInit {
		ck.cfnInit(i, ci)
	}
	return ck.errs
}

// hasControl reports a C0 or C1 control or DEL: never part of a name or
// a path initcompat writes, and a line break in a unit file or a script.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// service checks a name in services: a unit (with or without .service), or
// an init script or Upstart job, whose names update-rc.d must accept.
func (c *checker) service(at, s string) {
	n := strings.TrimSpace(s)
	switch {
	case s == unknownValue:
	case n == "":
		c.add("%s: an empty name; remove it", at)
	case !systemd.ValidName(unitName(n)) && !scriptName.MatchString(n):
		c.add("%s = %q: not a service name: a unit name (letters, digits and \":-_.\\@\", with or without .service) or an init script's (letters, digits and \"_.+-\"); a path or a pattern other than \"*\" is not", at, s)
	}
}

// unit checks a unit name; bare (only where the build reads a bare name
// as NAME.service) may leave out the suffix. The ordering lists are
// written into the drop-in as they are, so they need it.
func (c *checker) unit(at, s string, bare bool) {
	n := strings.TrimSpace(s)
	if bare {
		n = unitName(n)
	}
	switch {
	case s == unknownValue:
	case strings.TrimSpace(s) == "":
		c.add("%s: an empty name; remove it", at)
	case !systemd.ValidName(n) && bare:
		c.add("%s = %q: not a unit name (letters, digits and \":-_.\\@\", a bare name meaning NAME.service)", at, s)
	case !systemd.ValidName(n):
		c.add("%s = %q: not a unit name (letters, digits and \":-_.\\@\", with its type: \"db.service\", \"remote-fs.target\")", at, s)
	}
}

// script checks a name in foreground_init_scripts: an /etc/init.d script.
func (c *checker) script(at, s string) {
	n := strings.TrimSuffix(strings.TrimSpace(s), ".service")
	switch {
	case s == unknownValue:
	case n == "":
		c.add("%s: an empty name; remove it", at)
	case !scriptName.MatchString(n):
		c.add("%s = %q: not an init script's name (letters, digits and \"_.+-\", as in /etc/init.d)", at, s)
	}
}

// mountPath checks a RequiresMountsFor= path: absolute and clean, and
// nothing a drop-in line would split or expand (systemd.unit(5): the
// setting takes a space-separated list of absolute paths, with specifiers
// expanded by "%").
func (c *checker) mountPath(at, m string) {
	switch {
	case m == unknownValue:
	case !strings.HasPrefix(m, "/"):
		c.add("%s = %q: not an absolute path (RequiresMountsFor= takes absolute paths, such as \"/srv\")", at, m)
	case !tree.IsClean(m) || hasControl(m) || strings.ContainsAny(m, " \\%"):
		c.add("%s = %q: not a clean absolute path without spaces, backslashes, %% or control characters", at, m)
	}
}

// unitName gives a bare name the .service suffix, as the planner does.
func unitName(s string) string {
	if systemd.IsType(systemd.Suffix(s)) {
		return s
	}
	return s + ".service"
}

// cfnInit checks a cfn_init block: which source, and the names
// CloudFormation itself would refuse.
func (c *checker) cfnInit(i int, ci CfnInitConfig) {
	at := fmt.Sprintf("cfn_init[%d]", i)
	if err := ci.check(i); err != nil {
		c.errs = append(c.errs, err)
	}
	if ci.Resource != "" && ci.Resource != unknownValue && !logicalID.MatchString(ci.Resource) {
		c.add("%s.resource = %q: not a CloudFormation logical ID (letters and digits, at most 255)", at, ci.Resource)
	}
	if ci.StackName != "" && ci.StackName != unknownValue && !stackName.MatchString(ci.StackName) {
		c.add("%s.stack_name = %q: not a stack name (a letter, then letters, digits and \"-\", at most 128) or a stack ID", at, ci.StackName)
	}
	if ci.Region != "" && ci.Region != unknownValue && !awsRegion.MatchString(ci.Region) {
		c.add("%s.region = %q: not an AWS region code, such as \"us-east-1\"", at, ci.Region)
	}
	if ci.Endpoint != "" && ci.Endpoint != unknownValue {
		if u, err := url.Parse(ci.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			c.add("%s.endpoint = %q: not an http(s) URL, such as \"https://cloudformation.us-east-1.amazonaws.com\"", at, ci.Endpoint)
		}
	}
	for j, s := range ci.ConfigSets {
		if strings.TrimSpace(s) == "" || hasControl(s) {
			c.add("%s.config_sets[%d] = %q: an empty name, or one with control characters", at, j, s)
		}
	}
	if hasControl(ci.TemplateFile) {
		c.add("%s.template_file = %q: a path with control characters", at, ci.TemplateFile)
	}
}
