package initcompat

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
	// StartAfterUserData names services that must start after EC2 user
	// data (cloud-final.service) and remote file systems.
	StartAfterUserData []string
	// Ordering adds ordering and requirement dependencies to units.
	Ordering []OrderingRule
	// Mask and Disable name units to mask, or to unhook from the boot.
	Mask    []string
	Disable []string
	// CfnInit holds the services AWS::CloudFormation::Init metadata names;
	// they join the scope like Services.
	CfnInit []cfn.Service
	// ReplaceUpstartLinks lets the LSB shim replace leftover
	// "/etc/init.d/NAME -> /lib/init/upstart-job" links on systemd images.
	ReplaceUpstartLinks bool
	// Foreground names init scripts whose daemon stays in the foreground,
	// for the cases the foreground shim cannot tell from the image.
	Foreground []string
	// Build names the Packer build planning (its build name): the manifest
	// records it beside what the build writes.
	Build string
	// Prune removes what this build made earlier and the configuration no
	// longer asks for; without it the plan lists those paths.
	Prune bool
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
	// Source says which setting asked for it, for the plan's reasons.
	Source string
}

// unitName gives a bare name the .service suffix.
func unitName(s string) string {
	s = strings.TrimSpace(s)
	if systemd.IsType(systemd.Suffix(s)) {
		return s
	}
	return s + ".service"
}

// rules returns every ordering request, start_after_user_data first.
func (p Policy) rules() []OrderingRule {
	var out []OrderingRule
	for _, s := range p.StartAfterUserData {
		out = append(out, OrderingRule{Unit: unitName(s), After: []string{"cloud-final.service", "remote-fs.target"}, Source: "start_after_user_data"})
	}
	for _, r := range p.Ordering {
		r.Unit = unitName(r.Unit)
		if r.Source == "" {
			r.Source = "ordering"
		}
		out = append(out, r)
	}
	return out
}

func (p Policy) manifestPath() string {
	if p.ManifestPath == "" {
		return DefaultManifestPath
	}
	return p.ManifestPath
}

func (p Policy) all() bool {
	for _, s := range p.Services {
		if s == "*" {
			return true
		}
	}
	return false
}

// named returns the user's service names without suffix, in order, once
// each: services, then those cfn-init will manage.
func (p Policy) named() []string {
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
