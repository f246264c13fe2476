package initcompat

// Shim names what planned a change or said a finding, as plans, reports
// and the manifest show it.
type Shim string

// The shims, and the other sources of findings.
const (
	ShimLSB           Shim = "lsb-redirect"
	ShimOrdering      Shim = "ordering"
	ShimMask          Shim = "mask"
	ShimDisable       Shim = "disable"
	ShimUpstartLink   Shim = "upstart-job-link"
	ShimStopOn        Shim = "upstart-stop-on"
	ShimUpstartUnit   Shim = "upstart-to-systemd"
	ShimSystemctlPath Shim = "systemctl-path"
	ShimManifest      Shim = "manifest"
	ShimRemove        Shim = "remove"
	// ShimScope says why a service is or is not in scope.
	ShimScope Shim = "scope"
	// ShimInspect reports what could not be read.
	ShimInspect Shim = "inspect"
	// ShimDrift names what changed since the manifest was written.
	ShimDrift Shim = "drift"
)
