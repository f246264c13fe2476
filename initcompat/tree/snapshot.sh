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
	# the content paths gets the stat list and the kept files alone.
	if [ "$#" -gt 0 ]; then
		set -- -cf - -C "$tmp" .initcompat-stat .initcompat-refs -C "${INITCOMPAT_ROOT:-/}" "$@"
	else
		set -- -cf - -C "$tmp" .initcompat-stat .initcompat-refs
	fi
	if [ -n "$prune" ]; then
		set -- --anchored --no-wildcards-match-slash --exclude="$deep" "$@"
	fi
	tar "$@"
}
# refs DIR... keeps, in $tmp/.initcompat-refs, the regular files that the
# files directly in DIR... name by absolute path: the daemons init scripts
# start, wherever they are. The rules (refs.go) are FromDir's too: the
# first 1 MiB of each file (512 files a head, a newline after each head)
# is cut into words of [A-Za-z0-9._/+@%,-]; the words that start with "/"
# and are clean paths, sorted, the first 4096 of them; each resolved inside
# the image (links followed from its root, at most 40); a regular file,
# executable or under etc/, outside the directories the snapshot reads
# anyway; the first 256 such. A few processes in all, whatever the number
# of scripts: one per 512 scripts, and one per kept file past 64 KiB.
refs() {
	mkdir "$tmp/.initcompat-refs" || return 1
	for d; do
		if [ ! -d "$d" ] || [ -L "$d" ]; then continue; fi
		linked "$d/x" && continue
		set --
		for f in "$d"/*; do
			if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
			set -- "$@" "$f"
			if [ $# -ge 512 ]; then
				head -q -c 1048576 -- "$@"
				echo
				set --
			fi
		done
		if [ $# -gt 0 ]; then
			head -q -c 1048576 -- "$@"
			echo
		fi
	done | LC_ALL=C tr -c 'A-Za-z0-9._/+@%,-' '\n' | LC_ALL=C sort -u | ref_capture
}
# ref_capture reads paths, one a line, and keeps what refs says in
# "$tmp/.initcompat-refs": "index" (N, path, real path, executable), the
# sizes wc gives ("sizes"), every file of 64 KiB or less whole in
# "small.tar", and of a larger one (an ELF, in practice) its first 64 KiB
# ("N.h"), its last 16 KiB ("N.t") and which of Go's process-starting
# functions it names ("N.p", when the image has grep: "searched").
ref_capture() {
	out=$tmp/.initcompat-refs n=0 seen=0
	: >"$out/index" || return 1
	set --
	while IFS= read -r p; do
		case $p in
		/*) ;;
		'' | [%+,.-]*) continue ;;
		*) break ;;
		esac
		seen=$((seen + 1))
		[ "$seen" -le 4096 ] || break
		[ "${#p}" -le 4096 ] || continue
		case $p in */ | *//* | */./* | */../* | */. | */..) continue ;; esac
		resolve "${p#/}" || continue
		r=$real
		case $r in '' | etc/init.d/* | etc/default/* | etc/rc.d/init.d/*) continue ;; esac
		if [ ! -f "$r" ] || [ -L "$r" ]; then continue; fi
		[ -x "$r" ] || case $r in etc/*) ;; *) continue ;; esac
		[ "$n" -lt 256 ] || break
		n=$((n + 1))
		x=0
		[ -x "$r" ] && x=1
		printf '%s\t%s\t%s\t%s\n' "$n" "$p" "$r" "$x" >>"$out/index"
		set -- "$@" "./$r"
	done
	[ "$n" -gt 0 ] || return 0
	[ -z "$grep" ] || : >"$out/searched"
	wc -c -- "$@" >"$out/sizes" 2>/dev/null
	set --
	exec 4<"$out/index"
	while IFS=' ' read -r size name; do
		case $size in *[!0-9]* | '') continue ;; esac
		case $name in ./*) ;; *) continue ;; esac
		[ "$size" -gt 65536 ] || {
			set -- "$@" "$name"
			continue
		}
		# wc keeps the index's order (leaving out a file gone since).
		r=''
		while IFS="$tab" read -r n p r x <&4; do
			[ "./$r" = "$name" ] && break
		done
		[ "./$r" = "$name" ] || break
		head -c 65536 "$r" >"$out/$n.h"
		tail -c 16384 "$r" >"$out/$n.t"
		if [ -n "$grep" ]; then
			head -c 268435456 "$r" | tr '\000' '\n' |
				LC_ALL=C grep -a -o -F -e syscall.forkExec -e syscall.Exec | LC_ALL=C sort -u >"$out/$n.p"
		fi
	done <"$out/sizes"
	exec 4<&-
	[ $# -eq 0 ] || tar -cf "$out/small.tar" -- "$@" 2>/dev/null
	return 0
}
# resolve REL sets real to the real path, relative to the image root,
# that REL names (in this shell: a command substitution a path would cost
# a process): each link followed inside the image (an absolute target
# starts again at the root, ".." stops there), as Tree.Resolve does; it
# fails past 40 links, or at a target holding a tab or a newline.
resolve() {
	todo=$1 cur='' hops=0
	while [ -n "$todo" ]; do
		case $todo in
		*/*) c=${todo%%/*} todo=${todo#*/} ;;
		*) c=$todo todo= ;;
		esac
		case $c in
		'' | .) continue ;;
		..)
			case $cur in */*) cur=${cur%/*} ;; *) cur= ;; esac
			continue
			;;
		esac
		next=${cur:+$cur/}$c
		if [ -L "$next" ]; then
			hops=$((hops + 1))
			[ "$hops" -le 40 ] || return 1
			t=$(readlink "$next" && echo .) || return 1
			t=${t%.}
			t=${t%"$nl"}
			case $t in '' | *"$tab"* | *"$nl"*) return 1 ;; esac
			case $t in /*) cur='' ;; esac
			todo=$t${todo:+/$todo}
		else
			cur=$next
		fi
	done
	real=$cur
}
tab=$(printf '\t')
nl='
'
grep=
command -v grep >/dev/null 2>&1 && grep=1
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
