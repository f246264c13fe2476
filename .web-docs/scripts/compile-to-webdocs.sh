#!/bin/sh
# Turns the docs packer-sdc rendered (DOCS, e.g. .docs) into the layout the
# HashiCorp integrations site reads (WEB, e.g. .web-docs):
#   DOCS/README.md                 -> WEB/README.md
#   DOCS/provisioners/NAME.mdx     -> WEB/components/provisioner/NAME/README.md
# (builders, post-processors and datasources likewise), each without its
# front matter and first heading, which the site writes itself; links to
# /packer/plugins/... pages become /packer/integrations/ORG/... links.
#
#	compile-to-webdocs.sh ROOT DOCS WEB ORG
set -eu
root=$1 docs=$1/$2 web=$1/$3 org=$4

kind() {
	case $1 in
	builders) echo builder ;;
	provisioners) echo provisioner ;;
	post-processors) echo post-processor ;;
	datasources) echo data-source ;;
	*) return 1 ;;
	esac
}

# Drop the front matter (between the first two --- lines), the blank line
# after it and the H1 with the blank line after that; rewrite the links.
body() {
	awk 'n < 2 { if ($0 == "---") n++; next }
		!started && $0 == "" { next }
		!started && /^# / { started = 1; skip = 1; next }
		skip && $0 == "" { skip = 0; next }
		{ started = 1; skip = 0; print }' "$1" |
		sed -E \
			-e "s#\(/packer/plugins/([^/)#]+)/([^/)#]+)(\#[^/)]+)?\)#(/packer/integrations/$org/\2\3)#g" \
			-e "s#\(/packer/plugins/([^/)#]+)/([^/)#]+)/([^/)#]+)(\#[^/)]+)?\)#(/packer/integrations/$org/\2/latest/components/\1/\3\4)#g" \
			-e 's#/components/datasources/#/components/data-source/#g; s#/components/builders/#/components/builder/#g' \
			-e 's#/components/post-processors/#/components/post-processor/#g; s#/components/provisioners/#/components/provisioner/#g'
}

echo "compiling $docs into $web"
mkdir -p "$web"
cp "$docs/README.md" "$web/README.md"
for f in "$docs"/*/*.mdx; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .mdx)
	[ "$name" != index ] || continue
	dir=$(basename "$(dirname "$f")")
	if ! type=$(kind "$dir"); then
		echo "$f: components live in builders, provisioners, post-processors or datasources" >&2
		exit 1
	fi
	mkdir -p "$web/components/$type/$name"
	body "$f" >"$web/components/$type/$name/README.md"
done
