# shellcheck shell=sh
# shellcheck disable=SC2154 # R (the image's root prefix) and jc_places are the includer's.
#
# journal_check FILE refuses (exit status 1, saying why on stderr) a
# journal that recovery must not act on: the same checks as journal.go's
# ParseJournal and Check, which a test runs on the same journals. A
# bounded number of processes, whatever the journal's size, except for
# what a commit-phase recovery must prove path by path.
# What journal.go states (TestJournalShellConstants holds them equal).
jc_max_journal=134217728
jc_max_proof=268435456
jc_depth=32
jc_header='initcompat-journal 2'
jc_manifest_header='{"generator": "initcompat"'

journal_check() {
	jc_file "$1" && jc_shape && jc_image
}

# journal_check_image FILE: journal_check's checks of the image alone, for
# a journal the plugin wrote, whose shape Go's Steps has checked with the
# same rules (TestJournalShapeShellAgrees): what only the image can say.
journal_check_image() {
	jc_file "$1" || return 1
	jc_m=$(sed -n 's/^manifest //p' -- "$jf")
	jc_image
}

jc_file() {
	jf=$1
	if [ -L "$jf" ] || [ ! -f "$jf" ]; then
		jc_refuse "it is not a regular file (a link, a FIFO or a device is never read)"
		return 1
	fi
	jc_n=$(stat -c %s -- "$jf") || return 1
	if [ "$jc_n" -gt "$jc_max_journal" ]; then
		jc_refuse "larger than $jc_max_journal bytes"
		return 1
	fi
}

jc_image() { jc_ways && jc_mounts && jc_state; }

jc_refuse() {
	echo "initcompat: refusing the journal $jf: $*; nothing was changed (if no build is running, look at what it lists and move it away)" >&2
	return 1
}

# jc_first prints the first line of its input, and fails when there is one.
jc_first() {
	jc_x=$(head -n 1)
	[ -z "$jc_x" ] || {
		printf '%s\n' "$jc_x"
		return 1
	}
}

# jc_shape: what the journal says, before the image is read.
jc_shape() {
	if [ "$(head -n 1 -- "$jf")" != "$jc_header" ]; then
		jc_refuse "its first line is not \"$jc_header\""
		return 1
	fi
	if [ "$(tr -d '\000' <"$jf" | wc -c)" -ne "$jc_n" ]; then
		jc_refuse "it holds a NUL byte"
		return 1
	fi
	p='(/[^/]+)+'
	if ! x=$(sed 1d -- "$jf" | LC_ALL=C grep -a -n -v -E -e '^state (begin|commit|done)$' \
		-e "^(manifest|mkdir|stagedir|asidedir|aside|rmdir) $p\$" -e "^new [fl]:[0-9a-f]{64} $p\$" | jc_first); then
		jc_refuse "line $((${x%%:*} + 1)) is not a journal line of an apply: ${x#*:}"
		return 1
	fi
	if ! x=$(LC_ALL=C grep -a -E -e '/\.\.?(/|$)' -e "(/[^/]+){$((jc_depth + 1))}" -- "$jf" | jc_first); then
		jc_refuse "not an absolute, clean path: $x"
		return 1
	fi
	x=$(grep -c '^state ' -- "$jf")
	if [ "$x" -ne 1 ]; then
		jc_refuse "it has $x state lines, not one"
		return 1
	fi
	x=$(grep -c '^manifest ' -- "$jf")
	if [ "$x" -gt 1 ]; then
		jc_refuse "it names $x manifests, not one"
		return 1
	fi
	jc_m=$(sed -n 's/^manifest //p' -- "$jf")
	if [ -n "$jc_m" ]; then
		case $jc_m in */.initcompat-*) jc_m_bad=1 ;; *) jc_m_bad= ;; esac
		case ${jc_m%/*}/ in / | /usr/* | /proc/* | /sys/* | /dev/* | /run/* | /tmp/*) jc_m_bad=1 ;; esac
		if [ -n "$jc_m_bad" ]; then
			jc_refuse "the manifest $jc_m is not a place for one"
			return 1
		fi
	fi
	# Every directory the apply made holds, or is on the way to, a new
	# path: it appears once below only when it does not.
	if ! x=$({
		jc_above_new
		jc_above_new
		sed -n 's/^mkdir //p' -- "$jf" | LC_ALL=C sort -u
	} | LC_ALL=C sort | uniq -u | jc_first); then
		jc_refuse "mkdir $x holds nothing the apply staged"
		return 1
	fi
	jc_stages && jc_twins old asidedir aside 's/^aside //p' || return 1
	if ! x=$(sed -n -e 's/^new [^ ]* //p' -e 's/^aside //p' -e 's/^rmdir //p' -- "$jf" |
		jc_outside_places |
		grep -v -x -F -e "$jc_m" -e "${jc_m%/*}" | jc_first); then
		jc_refuse "$x is not a path initcompat writes"
		return 1
	fi
}

# jc_outside_places passes the paths (one a line) that are not a place
# initcompat writes nor below one: jc_places (data the script was sent,
# one place a line) holds them, as plan.Places.Contain decides in Go.
jc_outside_places() {
	LC_ALL=C awk -v places="$jc_places" '
		BEGIN { n = split(places, list, "\n"); for (i = 1; i <= n; i++) if (list[i] != "") place[list[i]] = 1 }
		{
			p = $0
			while (p != "") {
				if (p in place) next
				sub(/\/[^\/]*$/, "", p)
			}
			print
		}'
}

# jc_above_new lists the directories above every new path (not /).
jc_above_new() {
	sed -n 's/^new [^ ]* //p' -- "$jf" | sed -n -e 's|/[^/]*$||' -e ':a' -e '/./p' -e 's|/[^/]*$||' -e '/./ba' | LC_ALL=C sort -u
}

# jc_stages: the stagedir lines are the stage directories the stage makes
# (steps.go's stageSteps): one in each directory a new path goes into that
# the apply does not make, and one in the parent of each directory it
# makes whose parent it does not make. The directories of the new and
# mkdir paths are listed once, the mkdir paths twice: once alone, a
# directory is not made by the apply; its stage directory and the stagedir
# lines then appear once below only when one lacks the other.
jc_stages() {
	if ! x=$(sed -n 's/^stagedir //p' -- "$jf" | grep -v -E '/\.initcompat-stage$' | jc_first); then
		jc_refuse "$x is not named .initcompat-stage"
		return 1
	fi
	jc_mk=$(sed -n 's/^mkdir //p' -- "$jf" | LC_ALL=C sort -u)
	if ! x=$({
		sed -n 's/^stagedir //p' -- "$jf" | LC_ALL=C sort -u
		{
			sed -n -e 's/^new [^ ]* //p' -e 's/^mkdir //p' -- "$jf" | sed 's|/[^/]*$||' | LC_ALL=C sort -u
			if [ -n "$jc_mk" ]; then printf '%s\n%s\n' "$jc_mk" "$jc_mk"; fi
		} | LC_ALL=C sort | uniq -u | sed 's|$|/.initcompat-stage|'
	} | LC_ALL=C sort | uniq -u | jc_first); then
		jc_refuse "$x is not the stage directory of exactly the new paths and made directories listed"
		return 1
	fi
}

# jc_twins NAME DIRKIND KIND SED: the DIRKIND lines name .initcompat-NAME
# directories, each the twin directory of a KIND path's, and each KIND path
# has its own: a directory appears once below only when one lacks the other.
jc_twins() {
	if ! x=$(sed -n "s/^$2 //p" -- "$jf" | grep -v -E "/\\.initcompat-$1\$" | jc_first); then
		jc_refuse "$x is not named .initcompat-$1"
		return 1
	fi
	if ! x=$({
		sed -n "s/^$2 //p" -- "$jf" | LC_ALL=C sort -u
		sed -n "$4" -- "$jf" | sed 's|/[^/]*$||' | sed "s|\$|/.initcompat-$1|" | LC_ALL=C sort -u
	} | LC_ALL=C sort | uniq -u | jc_first); then
		jc_refuse "$x is not the twin directory of exactly the $3 paths listed"
		return 1
	fi
}

# jc_ways: every directory on the way to a listed path, and the stage and
# aside directories themselves, is a directory (not a link) on the mount
# of the image's root or of /var/lib (st_dev and the mount point: a bind
# mount of the same file system moves the mount point); one stat for all.
jc_ways() {
	jc_d1=$(jc_ere "$(stat -c '%d:%m' -- "${R:-/}/.")") || return 1
	jc_d2=$jc_d1
	if [ -d "$R/var/lib" ] && [ ! -L "$R/var/lib" ]; then jc_d2=$(jc_ere "$(stat -c '%d:%m' -- "$R/var/lib/.")") || return 1; fi
	if ! x=$({
		sed -n -e 's/^new [^ ]* //p' -e 's/^mkdir //p' -e 's/^stagedir //p' -e 's/^asidedir //p' -e 's/^aside //p' -e 's/^rmdir //p' -e 's/^manifest //p' -- "$jf" |
			sed -n -e 's|/[^/]*$||' -e ':a' -e '/./p' -e 's|/[^/]*$||' -e '/./ba'
		sed -n -e 's/^stagedir //p' -e 's/^asidedir //p' -- "$jf"
	} | LC_ALL=C sort -u | sed 's|^|.|' | tr '\n' '\000' |
		(cd "${R:-/}" && xargs -0 -r stat -c '%F|%d:%m|%n' -- 2>/dev/null) |
		LC_ALL=C grep -v -E "^directory\|($jc_d1|$jc_d2)\|" | jc_first); then
		case $x in
		directory\|*) jc_refuse "/${x#*|./} is on another mount than the image's root (a mount point); recovery does not cross it" ;;
		*) jc_refuse "/${x#*|./} is not a directory (a ${x%%|*}); recovery does not follow it" ;;
		esac
		return 1
	fi
}

# jc_mounts: no mount point is in (or is) a stage or aside directory,
# which recovery removes whole (rm --one-file-system compares st_dev
# only, and a bind mount of the same file system keeps it).
jc_mounts() {
	[ -r /proc/self/mountinfo ] || return 0
	if ! x=$({
		cut -d ' ' -f 5 /proc/self/mountinfo | while IFS= read -r m; do
			case $m in "$R"/*) printf '%s\n' "${m#"$R"}" ;; esac
		done | sed -n -e ':a' -e '/./p' -e 's|/[^/]*$||' -e '/./ba' | LC_ALL=C sort -u
		sed -n -e 's/^stagedir //p' -e 's/^asidedir //p' -- "$jf" | LC_ALL=C sort -u
	} | LC_ALL=C sort | uniq -d | jc_first); then
		jc_refuse "$x holds a mount point, which recovery does not remove"
		return 1
	fi
}

# jc_ere quotes its argument for grep -E.
jc_ere() { printf '%s\n' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# jc_proof P PROOF: P holds what the apply wrote there.
jc_proof() {
	case $2 in
	f:*)
		[ -f "$R$1" ] && [ ! -L "$R$1" ] || return 1
		[ "$(stat -c %s -- "$R$1")" -le "$jc_max_proof" ] || return 1
		[ "f:$(sha256sum <"$R$1" | cut -c1-64)" = "$2" ] || return 1
		;;
	l:*)
		[ -L "$R$1" ] || return 1
		[ "l:$(readlink -- "$R$1" | tr -d '\n' | sha256sum | cut -c1-64)" = "$2" ] || return 1
		;;
	esac
	if [ "$1" = "$jc_m" ]; then
		[ "$(head -c ${#jc_manifest_header} -- "$R$1")" = "$jc_manifest_header" ] || return 1
	fi
}

# jc_state: what recovery removes or puts back is as an apply left it. A
# committed path recovery removes is listed twice below, a path a
# set-aside copy goes back to that is still there once more: once alone,
# it would be replaced.
jc_state() {
	jc_s=$(sed -n 's/^state //p' -- "$jf")
	[ "$jc_s" != "done" ] || return 0
	if ! x=$({
		if [ "$jc_s" = commit ]; then
			sed -n 's/^new //p' -- "$jf" | while read -r pr p; do
				s=$R${p%/*}/.initcompat-stage/${p##*/}
				if exists "$s"; then
					if [ -L "$s" ]; then
						continue
					elif [ ! -f "$s" ]; then
						echo "refuse $s is not a staged file or link"
					fi
				elif exists "$R$p"; then
					if jc_proof "$p" "$pr"; then
						printf 'undone %s\nundone %s\n' "$p" "$p"
					else
						echo "refuse $p is not what the apply wrote there; recovery would remove it"
					fi
				fi
			done
		fi
		sed -n 's/^aside //p' -- "$jf" | while IFS= read -r p; do
			if exists "$R${p%/*}/.initcompat-old/${p##*/}" && exists "$R$p"; then echo "undone $p"; fi
		done
	} | LC_ALL=C sort | uniq -c | sed -n -e 's/^ *1 undone /both /p' -e 's/^ *[0-9]* refuse /refuse /p' | jc_first); then
		case $x in
		refuse*) jc_refuse "${x#refuse }" ;;
		*) jc_refuse "${x#both } and its set-aside copy both exist; the copy would replace it" ;;
		esac
		return 1
	fi
}
