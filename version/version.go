// Package version is the plugin's version. Releases set Version and
// VersionPrerelease with -ldflags -X.
package version

import "github.com/hashicorp/packer-plugin-sdk/version"

var (
	// Version is the release number.
	Version = "0.1.0"
	// VersionPrerelease is "dev" for builds between releases, "" for a release.
	VersionPrerelease = "dev"
	// VersionMetadata is build metadata (semver "+..."), usually empty.
	VersionMetadata = ""
	// PluginVersion is what `describe` reports and what marks written files.
	PluginVersion = version.NewPluginVersion(Version, VersionPrerelease, VersionMetadata)
)
