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
func planCfnInit(pl *planner) {
	inv := pl.inv
	pl.plan.Summary.CfnInit = pl.pol.CfnInit
	systemdKey, upstartRunning := "", map[string]string{}
	for _, c := range pl.pol.CfnInit {
		for _, w := range c.When {
			pl.find(Info, strings.TrimSuffix(c.Name, ".service"), "cfn-init", "", "cfn-init may manage it ("+c.Where()+"): "+w+
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
		pl.find(Warning, name, "cfn-init", "", "ensureRunning ("+upstartRunning[name]+") cannot work on Upstart: `service "+name+
			" status` exits 0 for a known job even when it is stopped, so cfn-init takes it for running. No file in the image can change that; start or stop the job in commands instead")
	}
	if systemdKey == "" || inv.Tools.Systemctl == "" {
		return
	}
	if e, ok := inv.Tree.Stat("/usr/bin/systemctl"); ok && e.Kind == tree.File {
		return
	}
	dir := realPath(inv.Tree, "/usr/bin")
	pl.symlink("", ShimSystemctlPath, path.Join(dir, "systemctl"), inv.Tools.Systemctl,
		"cfn-init's systemd key ("+systemdKey+") runs /usr/bin/systemctl only, and this image has "+inv.Tools.Systemctl)
}
