package initcompat

import (
	"path"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/planner"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// Watches is what a snapshot reads for pol: what inspection reads, what
// the shims read and write (the registry's footprints), and initcompat's
// own files (the manifest's directory, the apply's journal), once each.
func Watches(pol plan.Policy) []tree.Watch {
	all := append(append([]tree.Watch(nil), inspect.Watches...), planner.Watches()...)
	seen := map[tree.Watch]bool{}
	out := all[:0]
	for _, w := range all {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return tree.WithContent(out, path.Dir(pol.ManifestFile()), protocol.JournalPath)
}

// Inspect reads the snapshot as the plans of pol read it.
func Inspect(t *tree.Tree, pol plan.Policy) *inspect.Inventory {
	return inspect.Inspect(t, inspect.Options{Manifest: pol.ManifestFile(), DropIns: planner.DropIns(), Places: planner.Places()})
}

// UnreadPrograms lists the programs init scripts run that the snapshot did
// not hold and that would decide how systemd must run them: what a build
// reads in one more command (tree.RefScript, or tree.RefsFromDir for
// root_dir) and adds to the snapshot (Tree.AddRefs) before it plans.
func UnreadPrograms(t *tree.Tree, pol plan.Policy) []string {
	return planner.UnreadPrograms(Inspect(t, pol), pol)
}

// BuildPlan inspects the snapshot and plans every shim pol asks for
// (mode = "apply", "plan" and "check"). The same tree and policy always give
// the same plan, byte for byte.
func BuildPlan(t *tree.Tree, pol plan.Policy) *plan.Plan {
	return planner.Plan(Inspect(t, pol), pol)
}

// BuildRemovePlan undoes what the image's manifest records (mode =
// "remove"), through the same apply protocol as any plan.
func BuildRemovePlan(t *tree.Tree, pol plan.Policy) *plan.Plan {
	return planner.RemovePlan(Inspect(t, pol), pol)
}
