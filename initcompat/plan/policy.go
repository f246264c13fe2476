package plan

import (
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/cfn"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
)

// DefaultManifestPath is where the list of what initcompat wrote lives in
// the image.
const DefaultManifestPath = "/var/lib/initcompat/manifest.json"

// Policy is what the user asked for.
type Policy struct {
	// Services named by the user; "*" puts every service in scope. Names
	// may carry the ".service" suffix.
	Services []string
	// Strict turns conflicts (paths that exist and are not ours) into errors.
	Strict bool
	// Version goes into the marker of every file initcompat writes.
	Version string
	// ManifestPath overrides DefaultManifestPath.
	ManifestPath string
	// Ordering adds ordering and requirement dependencies to units:
	// start_after_user_data and the ordering blocks (AfterUserData).
	Ordering []OrderingRule
	// Mask and Disable name units to mask, or to unhook from the boot.
	Mask    []string
	Disable []string
	// CfnInit holds the services AWS::CloudFormation::Init metadata names;
	// they join the scope like Services.
	CfnInit []cfn.Service
	// CfnInitNotes are what cfn-init does with the entries of that
	// metadata that name no service it manages, each at its template line.
	CfnInitNotes []cfn.Note
	// ReplaceUpstartLinks lets the LSB shim replace leftover
	// "/etc/init.d/NAME -> /lib/init/upstart-job" links on systemd images.
	ReplaceUpstartLinks bool
	// Foreground names init scripts whose daemon stays in the foreground,
	// for the cases the foreground shim cannot tell from the image.
	Foreground []string
	// NativeUnitsForInitScripts bakes native units for the init scripts
	// in scope on images whose systemd still runs them through
	// systemd-sysv-generator, for images upgraded in place to systemd
	// 260, which removed it. Without the generator they are baked anyway.
	NativeUnitsForInitScripts bool
	// Build names the Packer build planning (its build name): the manifest
	// records it beside what the build writes.
	Build string
	// Prune removes what this build made earlier and the configuration no
	// longer asks for; without it the plan lists those paths.
	Prune bool
	// PinAllEnablement pins the enablement of every unit of the image as
	// the build leaves it, for the first boot's presets, not only what
	// initcompat decides.
	PinAllEnablement bool
	// ReportDrift adds a finding for every path that changed since the
	// manifest recorded it (mode = "check").
	ReportDrift bool
}

// OrderingRule is one ordering request for a unit.
type OrderingRule struct {
	Unit              string
	After             []string
	Before            []string
	Wants             []string
	RequiresMountsFor []string
	// AfterUserData orders the unit after EC2 user data
	// (cloud-final.service) and remote file systems, which needs
	// cloud-init in the image.
	AfterUserData bool
	// Source is the setting that asked for it, for the plan's reasons.
	Source Source
}

// Source is the configuration key a request came from, as the user wrote
// it: set by the Packer face, read by the planner only to word a reason.
type Source int

// The keys that ask for orderings.
const (
	SourceOrdering Source = iota
	SourceStartAfterUserData
)

// String is the key as the user wrote it.
func (s Source) String() string {
	if s == SourceStartAfterUserData {
		return "start_after_user_data"
	}
	return "ordering"
}

// AfterUserData is the ordering rule of start_after_user_data for each
// service named.
func AfterUserData(services ...string) []OrderingRule {
	out := make([]OrderingRule, 0, len(services))
	for _, s := range services {
		out = append(out, OrderingRule{Unit: UnitName(s), AfterUserData: true, Source: SourceStartAfterUserData})
	}
	return out
}

// UnitName gives a bare name the .service suffix.
func UnitName(s string) string {
	s = strings.TrimSpace(s)
	if systemd.IsType(systemd.Suffix(s)) {
		return s
	}
	return s + ".service"
}

// ManifestFile is where the manifest is, DefaultManifestPath unless set.
func (p Policy) ManifestFile() string {
	if p.ManifestPath == "" {
		return DefaultManifestPath
	}
	return p.ManifestPath
}

// All reports services = ["*"]: every service in scope.
func (p Policy) All() bool {
	for _, s := range p.Services {
		if s == "*" {
			return true
		}
	}
	return false
}

// Named returns the user's service names without suffix, in order, once
// each: services, then those cfn-init will manage.
func (p Policy) Named() []string {
	var out []string
	seen := map[string]bool{}
	all := append([]string(nil), p.Services...)
	for _, c := range p.CfnInit {
		all = append(all, c.Name)
	}
	for _, s := range all {
		s = strings.TrimSuffix(strings.TrimSpace(s), ".service")
		if s == "" || s == "*" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// markerPrefix starts the marker line of every file initcompat writes
// (after the "#!" line of scripts). It is how a later run knows the file is
// its own.
const markerPrefix = "# Managed by initcompat"

// Marker is the full marker line for a version.
func Marker(version string) string {
	return markerPrefix + " " + version + "; the next build rewrites this file, do not edit."
}

// IsOurs reports whether data carries the marker in its first two lines.
func IsOurs(data []byte) bool {
	s := string(data)
	for i := 0; i < 2; i++ {
		line, rest, _ := strings.Cut(s, "\n")
		if strings.HasPrefix(line, markerPrefix) {
			return true
		}
		s = rest
	}
	return false
}
