# shellcheck shell=sh
# The snapshot: the watched paths as one tar archive on stdout. Go appends
# two lines: `kinds STAT... >"$tmp/.initcompat-stat"` and `content
# CONTENT...` (quoted words; a content pattern's glob is expanded there). It needs sh, coreutils
# (mktemp, readlink) and tar. INITCOMPAT_ROOT, when set, replaces "/" as
# the image root, which lets tests run it against a directory.
set -u
cd "${INITCOMPAT_ROOT:-/}" || exit 1
# Below a symlinked directory the same files are captured under their real path.
linked() {
	rest=$1 q=""
	while :; do
		case $rest in
		*/*) q=$q${rest%%/*} rest=${rest#*/} ;;
		*) return 1 ;;
		esac
		[ -L "$q" ] && return 0
		q=$q/
	done
}
# kinds prints a line for each stat path that exists: its kind, and a
# link's target.
kinds() {
	for p; do
		linked "$p" && continue
		if [ -L "$p" ]; then printf 'l\t%s\t%s\n' "$p" "$(readlink "$p")"
		elif [ -d "$p" ]; then printf 'd\t%s\n' "$p"
		elif [ -f "$p" ] && [ -x "$p" ]; then printf 'x\t%s\n' "$p"
		elif [ -e "$p" ]; then printf 'f\t%s\n' "$p"
		fi
	done
}
# content PATH... archives the stat list and each content path that exists
# (and is not below a symlinked directory).
content() {
	for p; do
		shift
		[ -e "$p" ] || [ -L "$p" ] || continue
		linked "$p" && continue
		set -- "$@" "$p"
	done
	# GNU tar refuses a -C that no name follows: an image holding none of
	# the content paths gets the stat list alone.
	if [ "$#" -gt 0 ]; then
		set -- -cf - -C "$tmp" .initcompat-stat -C "${INITCOMPAT_ROOT:-/}" "$@"
	else
		set -- -cf - -C "$tmp" .initcompat-stat
	fi
	if [ -n "$prune" ]; then
		set -- --anchored --no-wildcards-match-slash --exclude="$deep" "$@"
	fi
	tar "$@"
}
# deep matches a member name of MaxDepth+2 (34) components or more (see
# caps.go): tar archives the level below MaxDepth, which FromTar refuses,
# and never opens the one below that, so a directory chain planted in the
# image costs a few kilobytes and descriptors, not 10,000 levels of names.
deep='*' i=1
while [ "$i" -lt 34 ]; do
	deep="$deep/*" i=$((i + 1))
done
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# The exclusion needs GNU tar's options (every target distribution has GNU
# tar). A tar without them (busybox's) archives the chain whole: FromTar
# still refuses it at the 33rd component, and only the stream is longer.
prune=
if tar --anchored --no-wildcards-match-slash --exclude="$deep" -cf - -C "$tmp" . >/dev/null 2>&1; then
	prune=1
fi
