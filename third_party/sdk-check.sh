#!/bin/sh
# What make deps-check says about the packer-plugin-sdk carried in
# third_party/packer-plugin-sdk (its README says why):
#   1. the patch file still makes the carried rpc/provisioner.go from the
#      pristine module the root go.mod requires;
#   2. the newest SDK release the module proxy serves, found by asking for
#      each version after ours, since the proxy here lists none (its list
#      for the SDK holds only v0.4.0; `go list -m -versions` and
#      `go get @latest` are no use);
#   3. the advisories of the offline vulnerability database (make
#      vulncheck's) that name the SDK, and whether v0.6.10 is affected:
#      govulncheck sees the SDK as a directory, `(devel)`, and never
#      matches it against advisories keyed on its version.
# Usage: third_party/sdk-check.sh VULNDB_DIR
set -eu

sdk=github.com/hashicorp/packer-plugin-sdk
here=$(cd "$(dirname "$0")" && pwd)
vulndb=${1:-}

# The version the fork is of: the require line, under the replace.
ours=$(cd "$here/.." && go list -m -f '{{.Version}}' "$sdk")
echo "packer-plugin-sdk: carried patched in third_party/ as $ours"

# 1. The patch against the pristine module.
pristine=$(go mod download -json "$sdk@$ours" | sed -n 's/^	"Dir": "\(.*\)",$/\1/p')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$pristine/rpc/provisioner.go" "$work/provisioner.go"
chmod u+w "$work/provisioner.go"
sed 's|^--- a/rpc/|--- a/|; s|^+++ b/rpc/|+++ b/|' "$here/packer-plugin-sdk-cancel-before-provision.patch" |
	(cd "$work" && patch -s -p1) || { echo "the patch no longer applies to $sdk@$ours"; exit 1; }
if ! cmp -s "$work/provisioner.go" "$here/packer-plugin-sdk/rpc/provisioner.go"; then
	echo "third_party/packer-plugin-sdk/rpc/provisioner.go is not $ours plus the patch:"
	diff -u "$work/provisioner.go" "$here/packer-plugin-sdk/rpc/provisioner.go" || true
	exit 1
fi
echo "  the patch (third_party/packer-plugin-sdk-cancel-before-provision.patch) makes the carried file from $ours"

# 2. The newest served release: "served" means the zip downloads, since
# the proxy has answered .info for versions whose zip it refuses (v0.6.11).
served() { go mod download -json "$sdk@$1" >/dev/null 2>&1; }
major=$(echo "$ours" | sed 's/^v\([0-9]*\)\..*/\1/')
minor=$(echo "$ours" | sed 's/^v[0-9]*\.\([0-9]*\)\..*/\1/')
patchlevel=$(echo "$ours" | sed 's/^v[0-9]*\.[0-9]*\.\([0-9]*\).*/\1/')
newest=$ours
tried=""
# Each minor line from ours up: its patch releases until three in a row
# are missing; a minor line that does not start (no .0) ends the search.
while :; do
	misses=0
	p=$((patchlevel + 1))
	while [ "$misses" -lt 3 ]; do
		v="v$major.$minor.$p"
		tried="$tried $v"
		if served "$v"; then newest=$v; misses=0; else misses=$((misses + 1)); fi
		p=$((p + 1))
	done
	minor=$((minor + 1))
	tried="$tried v$major.$minor.0"
	served "v$major.$minor.0" || break
	newest=v$major.$minor.0
	patchlevel=0
done
v="v$((major + 1)).0.0"
tried="$tried $v"
if served "$v"; then newest="$v (a new major version: look for more)"; fi
if [ "$newest" = "$ours" ]; then
	echo "  newest served: $ours (the proxy refused or lacks:$tried)"
else
	echo "  newest served: $newest; if its rpc/provisioner.go guards Cancel before Provision, drop the fork (third_party/packer-plugin-sdk/README.md)"
fi

# 3. Advisories naming the SDK in the offline database.
if [ -z "$vulndb" ] || [ ! -f "$vulndb/index/modules.json" ]; then
	echo "  advisories: no offline database at '$vulndb' (make vulncheck builds it)"
	exit 0
fi
ids=$(jq -r --arg m "$sdk" '.[] | select(.path == $m) | .vulns[] | "\(.id) fixed in \(.fixed // "no release")"' "$vulndb/index/modules.json")
if [ -z "$ids" ]; then
	echo "  advisories: none names $sdk in the offline database (golang.org/x/vulndb $(cd "$here/../tools/vuln" && go list -m -f '{{.Version}}' golang.org/x/vulndb))"
else
	echo "  advisories naming $sdk (is $ours before the fix? then it is affected, patched or not):"
	echo "$ids" | sed 's/^/    /'
fi
