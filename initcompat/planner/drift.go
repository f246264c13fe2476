package planner

import (
	"fmt"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// drift compares the image with its manifest (as Inspect read it): every
// file initcompat wrote that was edited or removed since, every link
// re-pointed or removed, every directory gone, every link a disable
// removed that is back. mode = "check" reports them (Policy.ReportDrift);
// an apply keeps edited files as conflicts and puts back what is missing.
func drift(t *tree.Tree, m *plan.Manifest) []plan.Finding {
	if m == nil {
		return nil
	}
	var out []plan.Finding
	report := func(e plan.ManifestEntry, msg string) {
		out = append(out, plan.Finding{Level: plan.Warning, Service: e.Service, Shim: plan.ShimDrift, Path: e.Path, Message: msg})
	}
	for _, e := range m.Entries {
		have, ok := t.Lstat(e.Path)
		switch e.Kind {
		case plan.KindFile:
			switch {
			case !ok:
				report(e, "initcompat wrote this file ("+string(e.Shim)+") and it has been removed since")
			case have.Kind != tree.File:
				report(e, "initcompat wrote a file here ("+string(e.Shim)+"); it is now a "+have.Kind.String())
			case !have.Omitted && plan.Sum(have.Data) != e.SHA256:
				report(e, "edited since initcompat wrote it ("+string(e.Shim)+"): its content is not the one the manifest records")
			}
		case plan.KindSymlink:
			switch {
			case !ok:
				report(e, "initcompat made this link ("+string(e.Shim)+", to "+e.Target+") and it has been removed since")
			case have.Kind != tree.Symlink || have.Target != e.Target:
				report(e, fmt.Sprintf("initcompat made a link to %s here (%s); it is now %s", e.Target, e.Shim, describe(have)))
			}
		case plan.KindDir:
			if !ok || have.Kind != tree.Dir {
				report(e, "initcompat made this directory ("+string(e.Shim)+") and it is gone")
			}
		case plan.KindRemoved:
			if ok {
				report(e, "initcompat removed this link ("+string(e.Shim)+") and it is back: "+describe(have))
			}
		}
	}
	return out
}

func describe(e *tree.Entry) string {
	if e.Kind == tree.Symlink {
		return "a link to " + e.Target
	}
	return "a " + e.Kind.String()
}
