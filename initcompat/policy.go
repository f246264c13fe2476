// Package initcompat decides which init-system compatibility shims an image
// lacks. Everything here is a pure function of a snapshot (tree.Tree) and a
// Policy: no Packer, no network, nothing executed.
package initcompat

import "strings"

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

// named returns the user's service names without suffix, in order, once each.
func (p Policy) named() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range p.Services {
		s = strings.TrimSuffix(strings.TrimSpace(s), ".service")
		if s == "" || s == "*" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// MarkerPrefix starts the marker line of every file initcompat writes
// (after the "#!" line of scripts). It is how a later run knows the file is
// its own.
const MarkerPrefix = "# Managed by initcompat"

// Marker is the full marker line for a version.
func Marker(version string) string {
	return MarkerPrefix + " " + version + "; the next build rewrites this file, do not edit."
}

// IsOurs reports whether data carries the marker in its first two lines.
func IsOurs(data []byte) bool {
	s := string(data)
	for i := 0; i < 2; i++ {
		line, rest, _ := strings.Cut(s, "\n")
		if strings.HasPrefix(line, MarkerPrefix) {
			return true
		}
		s = rest
	}
	return false
}
