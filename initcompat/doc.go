// Package initcompat decides which init-system compatibility shims an image
// lacks, and how to write them. Everything below it is a pure function of
// a snapshot (tree.Tree) and a Policy: no Packer, no network, nothing run.
// This package is the flow; each room below holds one idea.
//
// One build:
//
//	Watches   inspect.Watches + planner.Watches()   what the snapshot reads: inspection's paths,
//	                                                and what the registry's shims read and write
//	Snapshot  tree.FromTar / tree.FromDir          the watched paths of the image (package tree)
//	Inspect   inspect.Inspect                      what the image is: init, distro, tools, units,
//	                                                scripts, jobs, services, package ownership, manifest
//	Plan      planner.Plan                         the registry's steps in order, each reading its
//	                                                input and returning what it decides; prune last;
//	                                                the manifest the plan's last change
//	Apply     protocol.Steps(plan.Plan)            check, journal, stage, set aside, commit, finish:
//	                                                the shell runner or the os.Root runner, one recovery
//	Verify    verify.Script / verify.AnalyzeChecks the questions the changes carry (plan.Expect), asked
//	                                                of the image's own init system; a failure rolls back
//
// The rooms:
//
//	plan/         the plan as data: Change, Finding, Shim, Policy, Manifest, Places, Expect;
//	              Text, Brief and JSON
//	inspect/      the image as read: Inventory, its services, the paths inspection watches
//	planner/      the shims: registry.go lists each with its footprint (watches, drop-ins,
//	              dirs, files) and its step; the collector, the scope, prune and remove
//	upstartunit/  an Upstart job translated into a systemd unit, stanza by stanza
//	unitscript/   a systemd unit as a real LSB init script, for SysV-only images
//	insserv/      Debian's boot order files (/etc/init.d/.depend.*), with new
//	              scripts added as insserv orders them
//	verify/       the questions, as shell functions (checks.sh) fed the plan's data
//	protocol/     the apply protocol: steps, journal, two runners held to one table
//	tree/         the snapshot, from a tar stream or a directory
//	systemd/ lsb/ upstart/ cfn/   one package per file format: read and render, no policy
//
// The footprints' union is the one list of where initcompat writes: the
// snapshot watches it, dpkg's lists are read for it, the collector refuses a
// change outside it, and the apply and its recovery hold a journal to it in
// Go and in sh (sent as data). Adding a shim is a file in planner/, a line
// in the registry, its Policy and Config fields, and golden cases.
package initcompat
