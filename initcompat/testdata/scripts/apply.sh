# initcompat apply: nothing touches the image before the last line.
set -u
jc_places='/bin/systemctl
/etc/init
/etc/init.d
/etc/initcompat
/etc/rc.d
/etc/rc0.d
/etc/rc1.d
/etc/rc2.d
/etc/rc3.d
/etc/rc4.d
/etc/rc5.d
/etc/rc6.d
/etc/rcS.d
/etc/runlevels/default
/etc/runlevels/sysinit
/etc/systemd/system
/etc/systemd/system-preset
/usr/bin/systemctl
/usr/local/lib/systemd/system'
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
# shellcheck shell=sh
# The library the apply, the recovery and the verify scripts share: the
# lock, and the recovery from a journal (see apply.go for the protocol),
# which journal.sh's journal_check (before this file) checks first.
# Every list is read whole by one cat and split on newlines (paths never
# hold one), and every command takes its paths in batches: a journal of
# any length costs a bounded number of processes, never a read(2) a byte.
# The paths are the Go constants JournalPath, LockPath, BaselinePath and
# the stage and aside names (scripts_embed_test.go checks they agree).
R=${INITCOMPAT_ROOT:-}
J="$R/var/lib/.initcompat-journal"
L="$R/var/lib/.initcompat-lock"
B="$R/var/lib/.initcompat-verify-baseline"
NL='
'
exists() { [ -e "$1" ] || [ -L "$1" ]; }
lock() {
	n=0
	while ! mkdir -- "$L" 2>/dev/null; do
		pid=$(cat "$L/pid" 2>/dev/null || true)
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			echo "initcompat: taking over the lock of process $pid, which is gone" >&2
			rm -rf -- "$L"
			continue
		fi
		n=$((n + 1))
		if [ "$n" -gt 120 ]; then
			echo "initcompat: another initcompat run holds $L (process ${pid:-unknown}); wait for it to end, or remove that directory if no build is running" >&2
			exit 75
		fi
		sleep 1
	done
	echo $$ >"$L/pid"
}
unlock() { rm -rf -- "$L"; }
# sd_booted(3): systemd is PID 1 of the machine this runs on (never under
# INITCOMPAT_ROOT, which points at a directory).
sd_booted() { [ -z "$R" ] && [ -d /run/systemd/system ]; }
# analyzed prints what systemd-analyze verify says of the boot transaction
# of the machine this runs on (a booted systemd only; nothing elsewhere).
analyzed() {
	if ! sd_booted || ! command -v systemd-analyze >/dev/null 2>&1; then return 0; fi
	h=$(systemd-analyze --help 2>&1)
	set --
	case $h in *--man*) set -- "$@" --man=no ;; esac
	case $h in *--generators*) set -- "$@" --generators=yes ;; esac
	systemd-analyze verify "$@" default.target 2>&1
	return 0
}
# bulk FUNCTION LIST calls FUNCTION with the lines of LIST as its
# arguments, at most 512 at a time (far below any ARG_MAX).
bulk() {
	b_fn=$1 b_list=$2 b_ifs=$IFS
	IFS=$NL
	set -f
	set --
	for b_p in $b_list; do
		set -- "$@" "$b_p"
		if [ $# -ge 512 ]; then
			"$b_fn" "$@" || { IFS=$b_ifs; set +f; return 1; }
			set --
		fi
	done
	IFS=$b_ifs
	set +f
	[ $# -eq 0 ] || "$b_fn" "$@"
}
rm_f() { rm -f -- "$@"; }
# rm_rf removes stage and aside directories, never across a mount
# (journal_check has refused one holding a mount point).
rm_rf() { rm -rf --one-file-system -- "$@"; }
rmdir_quiet() { rmdir -- "$@" 2>/dev/null || true; }
# rmdirs DIRS removes each of the directories DIRS lists that is empty
# once the protocol's own names are gone: what else is in one (a file put
# there since the snapshot) stays, and the directory with it, named on
# stderr (as the os.Root runner's Recover says it).
rmdirs() {
	bulk rmdir_quiet "$1"
	d_ifs=$IFS
	IFS=$NL
	set -f
	for d_p in $1; do
		if [ -d "$d_p" ] && [ ! -L "$d_p" ]; then
			d_n=$(find "$d_p/." ! -name . -prune -print | sed 's|.*/||' | LC_ALL=C sort | head -n 6 | sed '6s/.*/.../' | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/, /g')
			echo "initcompat: warning: left ${d_p#"$R"} in place: it holds what initcompat did not make: $d_n" >&2
		fi
	done
	IFS=$d_ifs
	set +f
}
# put_back moves set-aside paths of one directory back: "DIR" then the
# aside names of its children.
put_back() { d=$1 && shift && mv -f -t "$d" -- "$@"; }
# j_kind KIND PREFIX prints the paths of the journal's KIND lines (j_all
# holds the journal), each after PREFIX. Lists are built by printing, never
# by appending to a variable (which copies it each time).
j_kind() {
	k_ifs=$IFS
	IFS=$NL
	set -f
	for k_l in $j_all; do
		case $k_l in "$1 "*) printf '%s\n' "$2${k_l#"$1" }" ;; esac
	done
	IFS=$k_ifs
	set +f
}
# committed NEW... prints the paths the commit put in place: those whose
# staged twin is gone (the rest go with the stage directory). Each line is
# "PROOF PATH" (journal version 2); journal_check has proved every such
# path holds what the apply wrote there.
committed() {
	c_ifs=$IFS
	IFS=$NL
	set -f
	for c_p in $1; do
		c_p=${c_p#* }
		if ! exists "$R${c_p%/*}/.initcompat-stage/${c_p##*/}" && exists "$R$c_p"; then printf '%s\n' "$R$c_p"; fi
	done
	IFS=$c_ifs
	set +f
}
# set_aside ASIDE... (sorted) prints, for each path still set aside, an
# "@DIR" line when its directory changes, then its aside name.
set_aside() {
	r_dir=""
	r_ifs=$IFS
	IFS=$NL
	set -f
	for r_p in $1; do
		r_a=$R${r_p%/*}/.initcompat-old/${r_p##*/}
		exists "$r_a" || continue
		if [ "${r_p%/*}" != "$r_dir" ]; then
			printf '@%s\n' "$R${r_p%/*}"
			r_dir=${r_p%/*}
		fi
		printf '%s\n' "$r_a"
	done
	IFS=$r_ifs
	set +f
}
# restore_groups LIST runs put_back for each "@DIR" line and the names
# after it, in batches.
restore_groups() {
	g_ifs=$IFS g_list=$1
	IFS=$NL
	set -f
	set --
	for g_p in $g_list; do
		case $g_p in
		@*)
			if [ $# -gt 1 ]; then put_back "$@" || { IFS=$g_ifs; set +f; return 1; }; fi
			set -- "${g_p#@}"
			;;
		*)
			set -- "$@" "$g_p"
			if [ $# -ge 512 ]; then
				put_back "$@" || { IFS=$g_ifs; set +f; return 1; }
				set -- "$1"
			fi
			;;
		esac
	done
	IFS=$g_ifs
	set +f
	if [ $# -gt 1 ]; then put_back "$@"; fi
}
# recover rolls an interrupted apply back, or finishes a complete one.
# A journal this run wrote itself (own=1: under its lock, once
# journal_check_image passed on it) is not checked again: the finish of
# its own apply, or the rollback of one that failed. Any other journal
# (a run interrupted, or planted in the image) is checked whole first.
recover() {
	rm -f -- "$J.new"
	exists "$J" || return 0
	[ "${own:-}" = 1 ] || journal_check "$J" || return 1
	j_all=$(cat -- "$J") || return 1
	state=$(j_kind state "")
	case $state in
	begin | commit | done) ;;
	*)
		echo "initcompat: $J is not a journal this initcompat can read; check the paths it lists and move it away" >&2
		return 1
		;;
	esac
	if [ "$state" = commit ]; then
		bulk rm_f "$(committed "$(j_kind new "")")" || return 1
	fi
	if [ "$state" != "done" ]; then
		# Shallowest first: a directory set aside comes back before its files.
		restore_groups "$(set_aside "$(j_kind aside "" | sort)")" || return 1
	fi
	bulk rm_rf "$(j_kind stagedir "$R" && j_kind asidedir "$R")" || return 1
	# A rollback takes away the directories the apply made, a finish those
	# the plan removes: deepest first, each only once nothing is left in it.
	if [ "$state" != "done" ]; then
		rmdirs "$(j_kind mkdir "$R" | sort -r)"
	else
		rmdirs "$(j_kind rmdir "$R" | sort -r)"
	fi
	j_all=""
	rm -f -- "$J" "$B" "$B.units" "$B.after" || return 1
	if [ "$state" = "done" ]; then what=finished; else what="rolled back"; fi
	echo "initcompat-recovered $what an apply interrupted in its $state phase" >&2
}
# shellcheck shell=sh
# The apply's code (after lib.sh). Its data follows it in the stream:
# here-documents, each of at most 1 MiB, that put() appends to files in a
# private temporary directory (what to check and do, the journal, the
# payload), then the last line calls initcompat_apply with the sha256 of
# the payload and the word initcompat-end. Nothing before that line touches the image: a stream cut
# anywhere leaves only the temporary directory, which the EXIT trap
# removes. The shell never holds more than one chunk; the steps are sourced
# from a file, parsed a command at a time, never as one function.
umask 022
T=$(mktemp -d "${TMPDIR:-/tmp}/initcompat.XXXXXX") || {
	echo "initcompat: cannot make a directory for the script's data (mktemp -d)" >&2
	exit 1
}
trap 'rm -rf -- "$T"' EXIT
trap 'exit 129' HUP INT TERM PIPE
{ : >"$T/payload.0" && : >"$T/journal" && : >"$T/ops" && : >"$T/sums"; } || exit 1
# renamer is util-linux's rename, which takes the staged renames of many
# directories in one process (shell.go's renames): rename.ul on Debian and
# Ubuntu, rename on RHEL, Amazon Linux and Flatcar (Debian's perl rename
# is another program). Without it (Debian 11) they are one mv a
# directory. INITCOMPAT_RENAMER set, even empty, chooses (the tests).
# shellcheck disable=SC2034 # the sourced steps read it
if [ -n "${INITCOMPAT_RENAMER+set}" ]; then
	renamer=$INITCOMPAT_RENAMER
elif command -v rename.ul >/dev/null 2>&1; then
	renamer=rename.ul
elif rename --version 2>/dev/null | grep -q util-linux; then
	renamer=rename
else
	renamer=
fi
# unpack N GZIP unpacks the payload's N archives (payload.0 ...), each
# by a tar of its own, all at once: a tar makes one entry at a time, and
# staging was most of an apply at 10,000 services (the os.Root runner
# stages a directory per processor). No two archives make the same
# directory (payload.go's parts). -o: the root running this owns what it
# makes, one chown an entry fewer (the archives say root). The tars' pids
# are in tars while they run, for the interrupt trap (stop_tars).
unpack() {
	u_i=0
	tars=
	while [ "$u_i" -lt "$1" ]; do
		decode "$T/payload.$u_i" "$2" | tar -x -m -p -o -P -f - -C "${R:-/}" &
		tars="$tars $!"
		u_i=$((u_i + 1))
	done
	u_rc=0
	for u_p in $tars; do
		wait "$u_p" || u_rc=1
	done
	tars=
	return "$u_rc"
}
# decode FILE GZIP writes the archive FILE holds (base64, gzip'd when
# GZIP is the image's gzip).
decode() {
	if [ -n "$2" ]; then
		base64 -d -- "$1" | "$2" -dc
	else
		base64 -d -- "$1"
	fi
}
# stop_tars ends the tars still unpacking (their decoders end on the
# broken pipe) before a recovery removes what they write into.
stop_tars() {
	[ -n "${tars:-}" ] || return 0
	# shellcheck disable=SC2086 # a list of pids
	kill $tars 2>/dev/null
	wait
	tars=
}
# put FILE appends one chunk of the data to FILE.
put() { cat >>"$T/$1" || exit 1; }
fail() {
	echo "initcompat: $*" >&2
	if recover; then
		echo "initcompat: nothing was changed" >&2
	else
		echo "initcompat: undoing the apply failed; $J lists what is left, and the next run undoes it first" >&2
	fi
	unlock
	exit 1
}
# finish tidies a complete apply (journal "done"): what it left in place
# is said on stderr; a tidying that fails is left to the next run.
finish() {
	recover 2>"$T/tidy" || echo "initcompat: warning: the image is complete, tidying failed; the next run tidies" >&2
	grep -e '^initcompat: warning: ' -- "$T/tidy" >&2 || :
	unlock
}
changed() { fail "$1 changed since the snapshot ($2); run the build again"; }
absent() { if exists "$1"; then changed "$1" "it exists now"; fi; }
# isfile PATH SHA256: the content is compared by checked(), one sha256sum
# for every file (a name with a backslash, which sha256sum -c escapes, is
# hashed on its own).
isfile() {
	{ [ -f "$1" ] && [ ! -L "$1" ]; } || changed "$1" "no longer a regular file"
	case $1 in
	*\\*) [ "$(sha256sum <"$1" | cut -c1-64)" = "$2" ] || changed "$1" "its content differs" ;;
	*) printf '%s  %s\n' "$2" "$1" >>"$T/sums" || fail "cannot write $T/sums" ;;
	esac
}
checked() {
	[ -s "$T/sums" ] || return 0
	c_out=$(LC_ALL=C sha256sum -c --quiet --strict -- "$T/sums" 2>&1) && return 0
	c_p=${c_out%%"$NL"*}
	changed "${c_p%: FAILED*}" "its content differs"
}
islink() { { [ -L "$1" ] && [ "$(readlink -- "$1")" = "$2" ]; } || changed "$1" "no longer a symlink to $2"; }
isdir() {
	if [ -L "$1" ]; then fail "$1 is a symlink (to $(readlink -- "$1")); initcompat writes only into real directories of the image"; fi
	[ -d "$1" ] || changed "$1" "no longer a directory"
}
# journal STATE writes the journal in STATE (version 2, jc_header): a
# bounded number of processes, whatever its length. The first one must
# pass journal_check_image before it is put in place: what recovery would
# refuse to undo is not begun (its shape, Go checked). From then on the
# journal is this run's own (lib.sh's recover).
# shellcheck disable=SC2154 # jc_header is journal.sh's, before lib.sh.
journal() {
	{ rm -f -- "$J.new" && { printf '%s\nstate %s\n' "$jc_header" "$1" && cat -- "$T/journal"; } >"$J.new" && chmod 600 -- "$J.new" &&
		{ exists "$J" || journal_check_image "$J.new"; } && mv -f -- "$J.new" "$J"; } ||
		fail "cannot write the journal $J"
	# shellcheck disable=SC2034 # lib.sh's recover reads it
	own=1
}
initcompat_apply() {
	# The payload's parts are payload.0 to payload.3, in the glob's order.
	if [ "${2:-}" != initcompat-end ] || [ "$1" != "$(cat -- "$T"/payload.* | sha256sum | cut -c1-64)" ]; then
		echo "the apply script arrived cut short or damaged: it changed nothing" >&2
		exit 1
	fi
	if [ -z "$R" ] && [ "$(id -u)" != 0 ]; then
		echo "initcompat: writing the image needs root, and this shell runs as $(id -un); set use_sudo = true or an execute_command that becomes root" >&2
		exit 77
	fi
	lock
	trap 'echo "initcompat: interrupted" >&2; stop_tars; recover; unlock; exit 129' HUP INT TERM PIPE
	if exists "$J"; then fail "an apply interrupted since the snapshot left $J; run the build again (it recovers first)"; fi
	# shellcheck source=/dev/null
	. "$T/ops"
}
put payload.0 <<'INITCOMPAT_DATA'
H4sIAAAAAAAA/+xc32/buhXOa/RXnGsHy81FbJOSJdkOOqBDuy0Y1hW33V4uLi4o8cjmYpMeSafN
mv7vAyU5cWS3SdvE7MUkPdjmj6PD7+PHHEmHQZsP+kIKm6vFktmesWyKA52TPh8cPNJBCCFpHB+Q
6mh+bn+nCQmHBxCvDTzlsTKW6QNCtFJ2XbbruK/+xvn6c13+nR+f4p/65j9u+ffJf+ib/6Tl3yf/
kW/+05Z/n/wPPfMfkZZ/n/zHvvmnLf8++U988x+2/O+Lf3NlLC74jnlQ1fSWGg3awd74D+mw5X8/
/G9zfsn0oyn/K/mnMY2iln9//M9FNvDKf0poy79f/m8rBvvmPyQkbuP/vcX/jun+zj//l/ljDOYe
/oc0buo/HZLhAZCW/yfnv/vDIBNyYGZBF/7OJJsih+wKbqcCTNWcozwDO0OQ+N5CthJzDhrfaWHR
gJ0JA4WY4ylwBVJZQC5sP+h2u/Cnl385fwXnr87fwvmrP/8j6MJrrS4FRzOBm2M9y4Iu/Iz/WQmN
vPfGMm3LNkcS7TulL+BI40JZ/K0wdxuqZdnuEw1fYMFWc7thEEKIYAjxncq1ESBAIQm68GamtO29
QJNrsbRCyQkY1JciRyBlz42KsiO8uTL/KnEDlrsOBgqlbwYHUwVWQR1qH5ubin5t9jTorgHZPIwC
O2MWVkvOLPZ03uena09OQchLdVGVApN8t4m8kL3Sr5xJyJW0Ws1B2P7aGRDW4LwAMZVKo9ltpGS5
GvOkmgrMikuElTM8Y24aIBi2QJBsgRX7L1+92OA+eP387V+fDVZGD0wm5KT8Vn6pfmZCBs7as+Mm
NMeBxrli/JlUQdAFw3/LlLLIf4xOJreDMPD6/AVQUHJ+Be9mKKuZyYXG3Cp9BfheGGv6cC6BBV3I
Z1opC0oDkyAWbIr1zLYz1OjsyRu+HHXMXJw6kMEtGFbIqRty0AXOcKEkFFotoOz5Tq2cPlYShAW1
skZwdBiXWPUDUcAv8AP0OAz0St7cfFWf8GspNBkcYj5T0Dkid0bo1KVXUrqru2ud3Sk5PvpAJ72P
x+XEO3JX68Af/xAGhzkzCJ2qtgNCBofGMrsyJw4TC0M4O3NFagnXYPVVT2M5xrqalNU/1b9o+QsN
y4NCBMGW6apncNiF52BUfoG25/RwySzyGwmVjQzMhbFYuv5O2FmJUdXF9IPDEqeedMbrwvISNUA1
KrmdV3zAUd0Irq9rR8+gEMFhs12nAiY4PDsL3JBLV89vrwyuEAqhjZ2AkghzLOympyW7la1yzldD
clbYlAkJzN4ulbmSEsvV4MsGpJYPGo9a3hnOmjbny3NT4TKBuhQ5sLmSeAqs7LlEDksm9LG5YeVm
4joDjhG1sk9NisZtWjan4GbbjfLGuN3qcFIj3DmqVosO/PAMrtCsnQsONzR1dLNuSQUv32P+c9nn
2RmsDK6dqtVzWHoeBYdNz12PO44USufY+5Q7TW+aA3OtekpvDxHnBoPD+4Bw3pVzulT2pqe9nlS9
JZuidnPCrsxtp7Oz4KeT9WLzT8OmOIEjAh9KkK/dPLmuL3S9cdHrytnrzfFeV6Y/1qCVmIXlBcq1
og432vM7Ox8S/9N1433G/3Eb//9/xf/09xL/06+I/+mn4n/axv+fiv9pG/+38X8b/7fxfxv/t/F/
G/8/Xfy/HfhX+d9/I7T+U/xt4awzkKbpVohcf25/D0OS0gMI+/31vcmj+NHG/9vx/8P4p/vnP9rF
/7feibb8P5R/eod/sn/+w1b/PvVPfet/2Orfp/7d/o83/vRPyc71n7T8e+F/7/qnJG7171P/kW/9
71z/Scu/F/496D9p9e9T/0Pf+t+5/pOWfy/8e9B/2urfp/5j3/rfuf6Tln8v/O9f/5S0+vep/8T3
87+d6z9p+ffC//71T2ir/33pf52Cct/+X9K7bdCv9gSvzXz2cIAkw+EWRPUniaO4wX9Mkzb/bz/5
f4+d9QdvZwgoWTbHBUqXCyNM3ZljLjjyU1gKKZGX+XEuVaZMtgG3pwN+rOdiPb1+jE9OJkEXGCxY
PhMSe8L5YNC6HRmdlXQeCzYX/0XeAaXB5QheIocFu0BTp6NwYMvl/KocSmXW5bi5fJUqn+vWBTce
Z9htYQFW5mvVThuXMBdUw4Lm/pRG+U3e2u8h6eFB+z8XTIoCje3/2yi57vnw4x79J1ESNfQfxglt
9b8P/X/oTFGiZlbpzgQ6t6R3TqFzidoIJV1FlQXsClFaLdB0JvBL8KGzZHbm6gcbieRrfbjWF0Jy
V++k5X6bGQvjxJVkLEQyLGISheMIk9F4mKQZspRE4yJNwzSOeRYSUoxJlsf5KI5GURzRhCSckWIc
k9JalbnmzG1e1MzEwpXNTdbTWGWAdj6eft5d+nl3WRqOsiKOSERYHocxD7MspTRPCpYyHhMkUTam
OMTxuOA5T9MwDzOS0vGIZxnyZLe79AvcLZMyNp3kQn87CFupPptXMFeLuZAXrsgyPUXrCrej8sf3
gn65F/QxEKZPgnAjmcITwo1X+p4QDp8E4cbrak8IN16aekI4ehKEGy8EPSHceC3lCeHhkyDceOXi
CeHGg39PCMdPgnDjobYnhBuPVj0hnDwJwo3Hhp4Qbjy88oLw3X099SOUXYjX5uoGDzS061nM5+PX
EUY8wwijgpJxysKEjwjyKEnIiGTpiGFCSToehcVwFI2jAmkeFpwO41EWjiJM+L2+XjL9meGtbyG3
O7l/NvTVHTfuUh9kI/j1Y7sV4TvditCe7dmeez7/NwCsEBg0AGIAAA==
INITCOMPAT_DATA
put journal <<'INITCOMPAT_DATA'
manifest /var/lib/initcompat/manifest.json
mkdir /etc/rc0.d
mkdir /etc/rc1.d
mkdir /etc/rc2.d
mkdir /etc/rc3.d
mkdir /etc/rc4.d
mkdir /etc/rc5.d
mkdir /etc/rc6.d
mkdir /etc/systemd/system-preset
mkdir /var
mkdir /var/lib
mkdir /var/lib/initcompat
stagedir /etc/init.d/.initcompat-stage
stagedir /etc/.initcompat-stage
stagedir /etc/systemd/.initcompat-stage
stagedir /.initcompat-stage
new f:ba2e04f503293e689467bea7039f772755db200f90bc5c85383531606da0f950 /etc/init.d/svc00000
new f:a728bf53030ac525d2bb711c6fa7ad50e03b91e4e99fdcd772c2b07198dbbed6 /etc/init.d/svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc0.d/K01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc0.d/K01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc1.d/K01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc1.d/K01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc2.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc2.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc3.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc3.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc4.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc4.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc5.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc5.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc6.d/K01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc6.d/K01svc00001
new f:8e3dbe3e3f1097a26d80ed366080b78ae6107982f48393fe1c2fd1458b283e6d /etc/systemd/system-preset/0-initcompat.preset
new f:01dbbb5debc08e383de4f5f640db6a1963fc9ef25eb6d6b145f0f84d3244a5af /var/lib/initcompat/manifest.json
INITCOMPAT_DATA
put ops <<'INITCOMPAT_DATA'
isdir "$R"'/var/lib'
isdir "$R"'/etc/init.d'
absent "$R"'/etc/init.d/.initcompat-stage'
isdir "$R"'/etc'
absent "$R"'/etc/.initcompat-stage'
isdir "$R"'/etc/systemd'
absent "$R"'/etc/systemd/.initcompat-stage'
isdir "$R"'/'
absent "$R"'/.initcompat-stage'
absent "$R"'/etc/rc0.d'
absent "$R"'/etc/rc1.d'
absent "$R"'/etc/rc2.d'
absent "$R"'/etc/rc3.d'
absent "$R"'/etc/rc4.d'
absent "$R"'/etc/rc5.d'
absent "$R"'/etc/rc6.d'
absent "$R"'/etc/systemd/system-preset'
absent "$R"'/var'
absent "$R"'/var/lib'
absent "$R"'/var/lib/initcompat'
absent "$R"'/etc/init.d/svc00000'
absent "$R"'/etc/init.d/svc00001'
absent "$R"'/etc/rc0.d/K01svc00000'
absent "$R"'/etc/rc0.d/K01svc00001'
absent "$R"'/etc/rc1.d/K01svc00000'
absent "$R"'/etc/rc1.d/K01svc00001'
absent "$R"'/etc/rc2.d/S01svc00000'
absent "$R"'/etc/rc2.d/S01svc00001'
absent "$R"'/etc/rc3.d/S01svc00000'
absent "$R"'/etc/rc3.d/S01svc00001'
absent "$R"'/etc/rc4.d/S01svc00000'
absent "$R"'/etc/rc4.d/S01svc00001'
absent "$R"'/etc/rc5.d/S01svc00000'
absent "$R"'/etc/rc5.d/S01svc00001'
absent "$R"'/etc/rc6.d/K01svc00000'
absent "$R"'/etc/rc6.d/K01svc00001'
absent "$R"'/etc/systemd/system-preset/0-initcompat.preset'
absent "$R"'/var/lib/initcompat/manifest.json'
checked
journal 'begin'
mkdir -m 0700 -- "$R"'/etc/init.d/.initcompat-stage' "$R"'/etc/.initcompat-stage' "$R"'/etc/systemd/.initcompat-stage' "$R"'/.initcompat-stage' || fail 'cannot create /etc/init.d/.initcompat-stage or one of the 3 directories after it'
unpack 1 '/usr/bin/gzip' || fail 'cannot unpack the staged files'
journal 'commit'
if [ -n "$renamer" ]; then "$renamer" -- /.initcompat-stage/ / "$R"'/etc/init.d/.initcompat-stage/svc00000' "$R"'/etc/init.d/.initcompat-stage/svc00001' "$R"'/etc/.initcompat-stage/rc0.d' "$R"'/etc/.initcompat-stage/rc1.d' "$R"'/etc/.initcompat-stage/rc2.d' "$R"'/etc/.initcompat-stage/rc3.d' "$R"'/etc/.initcompat-stage/rc4.d' "$R"'/etc/.initcompat-stage/rc5.d' "$R"'/etc/.initcompat-stage/rc6.d' "$R"'/etc/systemd/.initcompat-stage/system-preset' "$R"'/.initcompat-stage/var'; else mv -f -t "$R"'/etc/init.d' -- "$R"'/etc/init.d/.initcompat-stage/svc00000' "$R"'/etc/init.d/.initcompat-stage/svc00001' && mv -f -t "$R"'/etc' -- "$R"'/etc/.initcompat-stage/rc0.d' "$R"'/etc/.initcompat-stage/rc1.d' "$R"'/etc/.initcompat-stage/rc2.d' "$R"'/etc/.initcompat-stage/rc3.d' "$R"'/etc/.initcompat-stage/rc4.d' "$R"'/etc/.initcompat-stage/rc5.d' "$R"'/etc/.initcompat-stage/rc6.d' && mv -f -t "$R"'/etc/systemd' -- "$R"'/etc/systemd/.initcompat-stage/system-preset' && mv -f -t "$R"'/' -- "$R"'/.initcompat-stage/var'; fi || fail 'cannot rename the staged files into 4 directories, the last /'
journal 'done'
trap '' HUP INT TERM PIPE
finish
echo 'initcompat: applied 29 change(s)'
echo initcompat-apply-complete
INITCOMPAT_DATA
initcompat_apply 5161c28a053d84d7d4e04ddb1d6b2e2fd8fcbaf47b765aec760478af2da4228f initcompat-end
