// Package initcompat decides which init-system compatibility shims an image
// lacks, and how to write them. Everything here is a pure function of a
// snapshot (tree.Tree) and a Policy: no Packer, no network, nothing run.
//
// The data flow, one build:
//
//	Snapshot   tree.FromTar / tree.FromDir    the watched paths of the image (package tree)
//	Inspect    inventory.go                   what the image is: init, distro, tools, units, jobs, services, manifest
//	Plan       planner.go + shim_*.go         each shim adds Changes and Findings; finish adds the manifest
//	Apply      protocol.Steps(Plan.Protocol)  check, journal, stage, set aside, commit, finish: run by
//	           the protocol's shell runner or its os.Root runner, undone by the same recovery
//	Verify     verify.go                      the image's own init system asked, then the apply kept or rolled back
//
// The shims run in BuildPlan's order, each stage returning what the next
// reads: Upstart jobs become units first (the others then see the image
// with them); masks, disables and orderings next, whose decisions are the
// unitFate the per-service shims follow (a masked unit gets no redirect, a
// disabled one kill links only, a redirect's Required-Start follows the
// After= its unit will have); then the redirects and Upstart links; last
// the Upstart override files, each written once from the lines every stage
// asked for (overrides). The formats have a package each (systemd, lsb,
// upstart, cfn): they read and render, and hold no policy.
package initcompat
