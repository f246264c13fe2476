package initcompat

// Shim names what planned a change or said a finding, as plans, reports
// and the manifest show it.
type Shim string

// The shims, and the other sources of findings.
const (
	shimLSB           Shim = "lsb-redirect"
	ShimOrdering      Shim = "ordering"
	shimMask          Shim = "mask"
	shimDisable       Shim = "disable"
	shimUpstartLink   Shim = "upstart-job-link"
	shimStopOn        Shim = "upstart-stop-on"
	shimUpstartUnit   Shim = "upstart-to-systemd"
	shimSystemctlPath Shim = "systemctl-path"
	shimManifest      Shim = "manifest"
	shimRemove        Shim = "remove"
	// shimScope says why a service is or is not in scope.
	shimScope Shim = "scope"
	// shimInspect reports what could not be read.
	shimInspect Shim = "inspect"
	// ShimDrift names what changed since the manifest was written.
	ShimDrift Shim = "drift"
)
