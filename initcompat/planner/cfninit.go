package planner

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// shimSystemctl makes /usr/bin/systemctl for cfn-init 2.x's systemd key.
const shimSystemctl plan.Shim = "systemctl-path"

// shimSystemctlPath does what the services cfn-init will manage need beyond
// the other shims: cfn-init 2.x's systemd key looks for /usr/bin/systemctl
// only, and on Upstart, ensureRunning cannot see a stopped job.
var shimSystemctlPath = &shim{
	name:      shimSystemctl,
	footprint: footprint{files: []string{"/usr/bin/systemctl", "/bin/systemctl"}},
	step: func(in *input, col *collector) decided {
		planCfnInit(in, col)
		return decided{}
	},
}

func planCfnInit(in *input, col *collector) {
	inv := in.inv
	col.plan.Summary.CfnInit = in.pol.CfnInit
	systemdKey, upstartRunning := "", map[string]string{}
	for _, n := range in.pol.CfnInitNotes {
		// What cfn-init does with an entry that names no service it
		// manages (an option key under sysvinit:, a manager beside it).
		col.find(plan.Warning, strings.TrimSuffix(n.Service, ".service"), plan.ShimCfnInit, "", n.String())
	}
	for _, c := range in.pol.CfnInit {
		for _, w := range c.When {
			col.find(plan.Info, strings.TrimSuffix(c.Name, ".service"), plan.ShimCfnInit, "", "cfn-init may manage it ("+c.Where()+"): "+w+
				"; set parameters in the cfn_init block to decide it, or stack_name to read the metadata CloudFormation resolved")
		}
		if c.Key == "systemd" && systemdKey == "" {
			systemdKey = c.Where()
		}
		if c.EnsureRunning != nil && inv.Init == inspect.Upstart {
			upstartRunning[strings.TrimSuffix(c.Name, ".service")] = c.Where()
		}
	}
	for _, name := range slices.Sorted(maps.Keys(upstartRunning)) {
		col.find(plan.Warning, name, plan.ShimCfnInit, "", "ensureRunning ("+upstartRunning[name]+") cannot work on Upstart: `service "+name+
			" status` exits 0 for a known job even when it is stopped, so cfn-init takes it for running. No file in the image can change that; start or stop the job in commands instead")
	}
	if systemdKey == "" || inv.Tools.Systemctl == "" {
		return
	}
	p := path.Join(inspect.RealPath(inv.Tree, "/usr/bin"), "systemctl")
	if e, ok := inv.Tree.Stat("/usr/bin/systemctl"); ok && e.Kind == tree.File {
		col.keep("", shimSystemctl, p) // initcompat's link of an earlier run, maybe
		return
	}
	col.symlink("", shimSystemctl, p, inv.Tools.Systemctl,
		"cfn-init's systemd key ("+systemdKey+") runs /usr/bin/systemctl only, and this image has "+inv.Tools.Systemctl)
}
