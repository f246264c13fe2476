package plan

// Shim names what planned a change or said a finding, as plans, reports
// and the manifest show it: a shim's name (the planner's registry declares
// them), or one of the sources below that are not shims.
type Shim string

// The sources of changes and findings that are not shims.
const (
	// ShimManifest is the manifest's own change, and what is wrong with it.
	ShimManifest Shim = "manifest"
	// ShimRemove undoes the manifest (mode = "remove").
	ShimRemove Shim = "remove"
	// ShimPrune removes what a build made earlier and no longer asks for.
	ShimPrune Shim = "prune"
	// ShimScope says why a service is or is not in scope.
	ShimScope Shim = "scope"
	// ShimInspect reports what could not be read.
	ShimInspect Shim = "inspect"
	// ShimDrift names what changed since the manifest was written.
	ShimDrift Shim = "drift"
	// ShimCfnInit notes what cfn-init's metadata leaves open.
	ShimCfnInit Shim = "cfn-init"
)
