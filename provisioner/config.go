//go:generate go tool packer-sdc mapstructure-to-hcl2 -type Config,OrderingConfig,CfnInitConfig
//go:generate go tool packer-sdc struct-markdown

package provisioner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/packer-plugin-sdk/common"
	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
	"github.com/hashicorp/packer-plugin-sdk/template/config"
	"github.com/hashicorp/packer-plugin-sdk/template/interpolate"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/version"
)

// Modes of a run.
const (
	modeApply = "apply"
	modePlan  = "plan"
	modeCheck = "check"
	// modeRemove undoes what the manifest records.
	modeRemove = "remove"
)

// Config is the provisioner's HCL block.
type Config struct {
	common.PackerConfig `mapstructure:",squash"`

	// What the run does: `apply` (the default) writes the missing shims;
	// `plan` prints what apply would write and changes nothing; `check`
	// fails the build when the image lacks any shim or has drifted from its
	// manifest (a file initcompat wrote edited, a link of its removed or
	// re-pointed, a link it removed put back; each is named), for CI gates
	// on images that were built elsewhere; `remove` undoes what the manifest records
	// (files and links initcompat wrote, links it removed for `disable`
	// put back, its directories when empty, the manifest last), keeping
	// anything a person changed since.
	Mode string `mapstructure:"mode"`
	// Services to bring into scope, by name with or without `.service`.
	// Services installed by hand (a unit under /etc/systemd/system or
	// /usr/local/lib/systemd/system, or any unit no OS package owns) are in
	// scope without being named; `["*"]` brings every service. A named
	// service that is not in the image fails the build.
	Services []string `mapstructure:"services"`
	// Read and write the image at this directory instead of through the
	// communicator: a chroot-mounted volume (amazon-chroot), or a root file
	// system unpacked for the null builder with `communicator = "none"`.
	// Symlinks in the image are never followed out of it.
	RootDir string `mapstructure:"root_dir"`
	// Run the remote commands through `sudo -n`. Unset, initcompat uses
	// sudo only when the communicator's user is not root.
	UseSudo config.Trilean `mapstructure:"use_sudo"`
	// Ask the image's own init system, after the apply, whether it sees
	// what initcompat made: one more remote command reloads systemd (or
	// Upstart) and checks every unit and job the plan touched with
	// `systemctl show`, `systemctl is-active`/`is-enabled` against
	// `/etc/init.d/NAME status` and the rc links, `chkconfig --list`,
	// `initctl show-config` and `systemd-analyze verify` over
	// default.target (compared with its output before the apply). A
	// problem initcompat caused rolls the image back and fails the build;
	// others are warnings. Unset: on when the machine is booted (systemd
	// or Upstart is PID 1); with `root_dir`, on when this host has
	// `systemd-analyze`, which then checks the tree offline with `--root`.
	Verify config.Trilean `mapstructure:"verify"`
	// Command template for the remote commands, for doas or a sudo that
	// needs a password. `{{.Command}}` is the shell that reads initcompat's
	// script on its standard input, which the template must pass on: for
	// example `doas {{.Command}}`, or, for a sudo that asks for a password,
	// `{ echo '${var.sudo_password}'; cat; } | sudo -S -p '' {{.Command}}`
	// (declare the variable `sensitive`: Packer then keeps it out of logs).
	ExecuteCommand string `mapstructure:"execute_command"`
	// Where, in the image, initcompat records the files and links it wrote.
	// Defaults to `/var/lib/initcompat/manifest.json`.
	ManifestPath string `mapstructure:"manifest_path"`
	// A file on the machine running Packer that receives the plan as JSON:
	// the image summary, every change with its reason, every finding, and
	// verify's checks.
	ReportFile string `mapstructure:"report_file"`
	// Fail the build when a path initcompat needs is taken by a file it did
	// not write. Without it, such a conflict is a warning and that shim is
	// skipped.
	Strict bool `mapstructure:"strict"`
	// Services that must start after EC2 user data, which runs in
	// cloud-final.service, and after remote file systems. Each gets a drop-in
	// `NAME.service.d/initcompat-ordering.conf` with
	// `After=cloud-final.service remote-fs.target`; when that ordering would
	// close a cycle (cloud-final is ordered after multi-user.target on Debian,
	// Ubuntu and every distro from cloud-init 24.4), the drop-in also orders
	// the service after the targets that pull it in, so that systemd does not
	// delete a job at boot.
	StartAfterUserData []string `mapstructure:"start_after_user_data"`
	// Further ordering for a unit, checked against the boot graph for cycles
	// like `start_after_user_data`. Repeatable.
	Ordering []OrderingConfig `mapstructure:"ordering"`
	// Units to mask: `/etc/systemd/system/NAME -> /dev/null`. This works when
	// the unit and its enablement live in a read-only /usr (CoreOS,
	// Flatcar), where `systemctl disable` says nothing and changes nothing.
	// On Upstart images, a `manual` override.
	Mask []string `mapstructure:"mask"`
	// Units to unhook from the boot as `systemctl disable` does: the links
	// in /etc go, and the manifest records them. Links under /usr cannot be
	// removed; initcompat says so and suggests `mask`. On Upstart images, a
	// `manual` line in `/etc/init/NAME.override`.
	Disable []string `mapstructure:"disable"`
	// On systemd images, replace leftover `/etc/init.d/NAME ->
	// /lib/init/upstart-job` links (which make `systemctl enable NAME` fail)
	// with the LSB redirect. Without it they are reported and left alone.
	ReplaceUpstartJobLinks bool `mapstructure:"replace_upstart_job_links"`
	// Init scripts (without a native unit) whose daemon stays in the
	// foreground where initcompat cannot see it (the program is not in the
	// snapshot, or is compiled): each gets the drop-in
	// `/etc/systemd/system/NAME.service.d/initcompat-foreground.conf` that
	// makes the unit systemd-sysv-generator writes for it `Type=simple`, so
	// that `systemctl start` returns and `stop` stops the daemon. Scripts
	// whose program is a script that puts nothing in the background get it
	// without being named; the script itself is never edited.
	ForegroundInitScripts []string `mapstructure:"foreground_init_scripts"`
	// Write a native unit, `/etc/systemd/system/NAME.service`, for each
	// init script in scope (and `rc-local.service` for `/etc/rc.local`)
	// even where the image's systemd still runs them through
	// systemd-sysv-generator: for images that will be upgraded in place to
	// systemd 260 or later, which removed the generator (Debian forky ships
	// 262). The unit is what the generator made, plus `Type=simple` for a
	// daemon that stays in the foreground, plus an `[Install]` section.
	// Where the generator is gone, the units are written without it.
	NativeUnitsForInitScripts bool `mapstructure:"native_units_for_init_scripts"`
	// Remove what an earlier run of this build (the same Packer build name,
	// which the manifest records beside each path) made and this
	// configuration no longer asks for: the redirect of a service no longer
	// named, an old ordering drop-in. Without it the plan lists them. Paths
	// another build made (a base image's) are listed, never removed, and a
	// path changed since it was written is kept. The removal goes through
	// the same all-or-nothing apply as every other change.
	Prune bool `mapstructure:"prune"`
	// Pin the enablement of every unit of the image, as the build leaves
	// it, for the first boot, not only what initcompat decides. A pipeline
	// that resets `/etc/machine-id` to `uninitialized` (or removes it)
	// makes the next boot a first boot, at which systemd applies its
	// presets: Debian's enable every unit, Fedora's also disable. initcompat
	// always pins what it decides (disable, mask, the units it writes and
	// enables, the redirects' units) in
	// `/etc/systemd/system-preset/0-initcompat.preset`; with this set, the
	// enablement other provisioners left is pinned too, so run initcompat
	// after them and before the machine-id reset.
	PinAllEnablement bool `mapstructure:"pin_all_enablement"`
	// Where the AWS::CloudFormation::Init metadata that will launch the
	// image is: every service under `services.sysvinit` and
	// `services.systemd` joins the scope, and one missing from the image
	// fails the build before any change. Repeatable.
	CfnInit []CfnInitConfig `mapstructure:"cfn_init"`

	ctx interpolate.Context
}

// OrderingConfig is one `ordering` block.
type OrderingConfig struct {
	// The unit to order; a bare name means `NAME.service`.
	Unit string `mapstructure:"unit" required:"true"`
	// Units this one starts after (`After=`), each with its type
	// (`db.service`, `remote-fs.target`).
	After []string `mapstructure:"after"`
	// Units this one starts before (`Before=`), each with its type.
	Before []string `mapstructure:"before"`
	// Units this one pulls in (`Wants=`), each with its type.
	Wants []string `mapstructure:"wants"`
	// Absolute paths whose mounts this one needs (`RequiresMountsFor=`).
	RequiresMountsFor []string `mapstructure:"requires_mounts_for"`
}

// ConfigSpec is the HCL2 schema of Config.
func (p *Provisioner) ConfigSpec() hcldec.ObjectSpec { return p.config.FlatMapstructure().HCL2Spec() }

// Prepare decodes and checks the configuration. It can be called more than
// once and accepts values that are unknown until the build runs.
func (p *Provisioner) Prepare(raws ...interface{}) error {
	var c Config
	err := config.Decode(&c, &config.DecodeOpts{
		PluginType:         "initcompat",
		Interpolate:        true,
		InterpolateContext: &c.ctx,
		InterpolateFilter:  &interpolate.RenderFilter{Exclude: []string{"execute_command"}},
	}, raws...)
	if err != nil {
		return err
	}
	var errs *packersdk.MultiError
	switch c.Mode {
	case "":
		c.Mode = modeApply
	case modeApply, modePlan, modeCheck, modeRemove:
	default:
		errs = packersdk.MultiErrorAppend(errs, fmt.Errorf("mode %q: want %q, %q, %q or %q", c.Mode, modeApply, modePlan, modeCheck, modeRemove))
	}
	switch {
	case c.ManifestPath == "":
		c.ManifestPath = plan.DefaultManifestPath
	case !tree.IsClean(c.ManifestPath) || c.ManifestPath == "/":
		errs = packersdk.MultiErrorAppend(errs, fmt.Errorf("manifest_path %q: want an absolute, clean path of a file in the image", c.ManifestPath))
	case protocol.OwnName(c.ManifestPath):
		errs = packersdk.MultiErrorAppend(errs, fmt.Errorf("manifest_path %q: that is initcompat's own journal, lock, baseline or staging name (%s, %s, %s, .initcompat-*), which the apply writes and removes; use another path, such as %s", c.ManifestPath, protocol.JournalPath, protocol.LockPath, protocol.BaselinePath, plan.DefaultManifestPath))
	case !protocol.ManifestPlace(c.ManifestPath):
		errs = packersdk.MultiErrorAppend(errs, fmt.Errorf("manifest_path %q: the manifest needs a directory of its own on the image's persistent, writable part (not /, /usr, /run, /tmp, /proc, /sys or /dev), such as %s", c.ManifestPath, plan.DefaultManifestPath))
	}
	if err := notHostRoot(c.RootDir); err != nil {
		errs = packersdk.MultiErrorAppend(errs, err)
	}
	// Names, paths and the cfn_init blocks: validate.go.
	errs = packersdk.MultiErrorAppend(errs, c.validate()...)
	if c.ExecuteCommand != "" && !strings.Contains(c.ExecuteCommand, "{{.Command}}") && !strings.Contains(c.ExecuteCommand, "{{ .Command }}") {
		errs = packersdk.MultiErrorAppend(errs, errors.New("execute_command must contain {{.Command}}: the shell that reads initcompat's script"))
	}
	if errs != nil && len(errs.Errors) > 0 {
		return errs
	}
	// Sensitive variables (a sudo password in execute_command) stay out of
	// the debug log lines that show the remote command.
	packersdk.LogSecretFilter.Set(c.PackerSensitiveVars...)
	p.config = c
	return nil
}

// Policy is what the prepared configuration asks of the planner, with the
// services of every cfn_init block read (a template that cannot be read is
// an error before the image is). The golden cases plan through it, so
// that each is what a user writes.
func (p *Provisioner) Policy(ctx context.Context) (plan.Policy, error) {
	pol := plan.Policy{
		Services:     p.config.Services,
		Strict:       p.config.Strict,
		Version:      version.PluginVersion.String(),
		ManifestPath: p.config.ManifestPath,
		Mask:         p.config.Mask,
		Disable:      p.config.Disable,

		ReplaceUpstartLinks: p.config.ReplaceUpstartJobLinks,
		Foreground:          p.config.ForegroundInitScripts,

		NativeUnitsForInitScripts: p.config.NativeUnitsForInitScripts,
		ReportDrift:               p.config.Mode == modeCheck,
		Build:                     p.config.PackerBuildName,
		Prune:                     p.config.Prune,
		PinAllEnablement:          p.config.PinAllEnablement,
	}
	// The Packer face names where each rule came from: the planner only
	// words it.
	pol.Ordering = plan.AfterUserData(p.config.StartAfterUserData...)
	for _, o := range p.config.Ordering {
		pol.Ordering = append(pol.Ordering, plan.OrderingRule{Source: plan.SourceOrdering,
			Unit: o.Unit, After: o.After, Before: o.Before, Wants: o.Wants, RequiresMountsFor: o.RequiresMountsFor})
	}
	// Read before the image is: a template that cannot be read changes
	// nothing.
	var err error
	pol.CfnInit, pol.CfnInitNotes, err = p.cfnInit(ctx)
	return pol, err
}

// notHostRoot refuses a root_dir that is this machine's own / (the same
// device and inode, however the path is spelt): initcompat would plan
// and write into the Packer host's /etc.
func notHostRoot(dir string) error {
	if dir == "" {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil // not there yet (a chroot mounted by the build): checked again before it is read
	}
	if host, err := os.Stat("/"); err == nil && os.SameFile(fi, host) {
		return fmt.Errorf("root_dir %q is this machine's own root directory: initcompat would write into the Packer host itself; point root_dir at the image's root (a mounted volume, an unpacked tree)", dir)
	}
	return nil
}
