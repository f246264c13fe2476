// Package initcompat decides which init-system compatibility shims an image
// lacks, and how to write them. Everything here is a pure function of a
// snapshot (tree.Tree) and a Policy: no Packer, no network, nothing run.
//
// The data flow, one build:
//
//	Snapshot   tree.FromTar / tree.FromDir    the watched paths of the image (package tree)
//	Inspect    inventory.go                   what the image is: init, distro, tools, units, jobs, services, manifest
//	Plan       planner.go stage.go shim_*.go  the stages add Changes and Findings; finish adds the manifest
//	Apply      protocol.Steps(Plan.Protocol)  check, journal, stage, set aside, commit, finish: run by
//	           the protocol's shell runner or its os.Root runner, undone by the same recovery
//	Verify     verify.go                      the image's own init system asked, then the apply kept or rolled back
//
// BuildPlan inspects the image once and reads the scope once. Each stage
// reads a view (the inventory, the policy, the manifest by path: stage.go)
// that no stage changes, adds its Changes and Findings to a collector, and
// returns what later stages read; nothing a stage decides is kept on the
// view or the collector. The stages run in this order:
//
//   - the Upstart jobs of a systemd image become units (their parses, a
//     jobMemo, are handed to the later Upstart stages). These units change
//     what the rest read (the unit store, enablement, which services have
//     units), so when the stage planned anything those are read again
//     (Inventory.reinspect, over the tree with its changes laid on) and the
//     scope with them; the rest of the inventory and the manifest index
//     carry over;
//   - masks, disables and orderings, whose decisions are the unitFate the
//     redirects follow (a masked unit gets no redirect, a disabled one kill
//     links only, a redirect's Required-Start follows the After= its unit
//     will have). The ordering shim builds the boot graph once and lays
//     each round's drop-ins on it (systemd.Graph.With); it also puts in the
//     plan the settings each drop-in makes, which verify asks systemctl
//     about;
//   - the LSB redirects, on every core, over an index of the rc links
//     (rcIndex) read once before they fork; then the Upstart links;
//   - the Upstart override files, each written once from the lines every
//     stage asked for (overrides); the foreground, template and cfn-init
//     shims;
//   - prune, last: what the configuration asks for is what these stages
//     asked for in this same plan, changed or found in place (the
//     collector's kept paths), so no second plan is made.
//
// The formats have a package each (systemd, lsb, upstart, cfn): they read
// and render, and hold no policy.
package initcompat
