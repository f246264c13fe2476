#!/bin/sh
# The release pipeline, as far as a machine without GitHub and the release
# key can run it: GoReleaser with .goreleaser.yml (its linux/amd64 build
# only, signing skipped, the version a tag v0.1.0 would give), then the
# archive installed the way Packer installs a downloaded release and a
# template's required_plugins block satisfied by `packer init`.
#
#	tools/release/dry-run.sh GORELEASER PACKER
set -eu
goreleaser=$1 packer=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk '/^  - id: release$/{skip=1} /^archives:/{skip=0} !skip' .goreleaser.yml >"$work/goreleaser.yml"
printf '\nsnapshot:\n  version_template: "0.1.0"\n' >>"$work/goreleaser.yml"
api=$(go run . describe | sed -n 's/.*"api_version":"\([^"]*\)".*/\1/p')
API_VERSION=$api "$goreleaser" release --snapshot --clean --skip=before,sign --config "$work/goreleaser.yml"
name=packer-plugin-initcompat_v0.1.0_${api}_linux_amd64
(cd dist && grep " $name.zip\$" packer-plugin-initcompat_v0.1.0_SHA256SUMS | sha256sum -c -)
unzip -q "dist/$name.zip" -d "$work"
"$work/$name" describe | grep -q '"version":"0.1.0"'
export PACKER_PLUGIN_PATH="$work/plugins" CHECKPOINT_DISABLE=1
"$packer" plugins install --path "$work/$name" github.com/initcompat/initcompat
cat >"$work/t.pkr.hcl" <<'HCL'
packer {
  required_plugins {
    initcompat = {
      source  = "github.com/initcompat/initcompat"
      version = ">= 0.1.0"
    }
  }
}
source "null" "image" { communicator = "none" }
build {
  sources = ["source.null.image"]
  provisioner "initcompat" { root_dir = "/" }
}
HCL
"$packer" init "$work/t.pkr.hcl"
"$packer" plugins installed | grep -q "$name"
"$packer" validate "$work/t.pkr.hcl"
echo "release dry run: $name installed from its archive and accepted by packer init"
