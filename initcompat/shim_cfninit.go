package initcompat

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// planCfnInit does what the services cfn-init will manage need beyond the
// other shims: cfn-init 2.x's systemd key looks for /usr/bin/systemctl only,
// and on Upstart, ensureRunning cannot see a stopped job.
func planCfnInit(col *collector) {
	inv := col.inv
	col.plan.Summary.CfnInit = col.pol.CfnInit
	systemdKey, upstartRunning := "", map[string]string{}
	for _, c := range col.pol.CfnInit {
		for _, w := range c.When {
			col.find(Info, strings.TrimSuffix(c.Name, ".service"), "cfn-init", "", "cfn-init may manage it ("+c.Where()+"): "+w+
				"; set parameters in the cfn_init block to decide it, or stack_name to read the metadata CloudFormation resolved")
		}
		if c.Key == "systemd" && systemdKey == "" {
			systemdKey = c.Where()
		}
		if c.EnsureRunning != nil && inv.Init == Upstart {
			upstartRunning[strings.TrimSuffix(c.Name, ".service")] = c.Where()
		}
	}
	for _, name := range slices.Sorted(maps.Keys(upstartRunning)) {
		col.find(Warning, name, "cfn-init", "", "ensureRunning ("+upstartRunning[name]+") cannot work on Upstart: `service "+name+
			" status` exits 0 for a known job even when it is stopped, so cfn-init takes it for running. No file in the image can change that; start or stop the job in commands instead")
	}
	if systemdKey == "" || inv.Tools.Systemctl == "" {
		return
	}
	p := path.Join(realPath(inv.Tree, "/usr/bin"), "systemctl")
	if e, ok := inv.Tree.Stat("/usr/bin/systemctl"); ok && e.Kind == tree.File {
		col.keep("", shimSystemctlPath, p) // initcompat's link of an earlier run, maybe
		return
	}
	col.symlink("", shimSystemctlPath, p, inv.Tools.Systemctl,
		"cfn-init's systemd key ("+systemdKey+") runs /usr/bin/systemctl only, and this image has "+inv.Tools.Systemctl)
}
