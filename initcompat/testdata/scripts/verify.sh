# initcompat verify: nothing runs before the last line.
initcompat_verify() {
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
INITCOMPAT_NEWLINES=$(cat <<'INITCOMPAT_AWK'
# The new lines of systemd-analyze verify (the verify script's check of
# them; NewAnalyzeLines is the same rule in Go): base is its output before
# the apply, units the patterns of the touched units, want "ours" or
# "others". It prints the new lines naming a touched unit, and the rest of
# their unit's message (the same "UNIT: " prefix, as the three lines of an
# ordering cycle), or the other new lines, and exits 1 when it prints.
BEGIN {
	while ((getline l < base) > 0) seen[l] = 1
	while ((getline l < units) > 0) pat[n++] = l
}
$0 != "" && !($0 in seen) { line[m++] = $0 }
END {
	for (i = 0; i < m; i++) for (j = 0; j < n; j++) if (line[i] ~ pat[j]) {
		mine[i] = 1; p = line[i]; sub(/: .*/, "", p); prefix[p] = 1; break
	}
	bad = 0
	for (i = 0; i < m; i++) {
		p = line[i]; sub(/: .*/, "", p)
		if (((i in mine) || (p in prefix)) == (want == "ours")) { print line[i]; bad = 1 }
	}
	exit bad
}
INITCOMPAT_AWK
)
export INITCOMPAT_NEWLINES
# shellcheck shell=sh
# The verify script's runtime (see Script): the apply's shell library
# comes before it, and after it the plan's own part: verify_begin, the
# patterns of the touched units, one `check` line per question (the
# function of checks.sh that asks it, and its arguments, quoted words of
# data), verify_end.

# Every question gets at most INITCOMPAT_CHECK_TIMEOUT seconds: a hung
# systemctl or initctl must not hold the build. coreutils' timeout where
# the image has it (TERM, then KILL 5 s later); without it the check runs
# unbounded, and says so.
T=${INITCOMPAT_CHECK_TIMEOUT:-60}
# asked runs a check of checks.sh by name, in a shell of its own that the
# timeout can end.
# shellcheck disable=SC2016 # the inner shell expands them
ask='. "$L/checks.sh" && "$@"'
if command -v timeout >/dev/null 2>&1; then
	bounded() { timeout -k 5 "$T" sh -c "$1"; }
	asked() { timeout -k 5 "$T" sh -c "$ask" sh "$@"; }
else
	bounded() { sh -c "$1"; }
	asked() { sh -c "$ask" sh "$@"; }
fi
export R B L
reload() {
	if sd_booted; then
		bounded 'systemctl daemon-reload'
	elif command -v initctl >/dev/null 2>&1; then
		bounded 'initctl reload-configuration'
	fi
}
failed=0
booted=no
if sd_booted || bounded 'initctl version' >/dev/null 2>&1; then booted=yes; fi
# check LEVEL NAME FUNCTION ARG...: FUNCTION (checks.sh) exits 0 when the
# init system agrees, 100 when what initcompat wrote is accepted and takes
# effect later (pending), anything else when it disagrees; 124 is the
# timeout's.
check() {
	level=$1 name=$2
	shift 2
	printf '@@check %s %s\n' "$level" "$name"
	if [ "$booted" != yes ]; then
		out="not asked: neither systemd nor Upstart runs this machine"
		r=skipped
	else
		out=$(asked "$@" 2>&1)
		rc=$?
		case $rc in
		0) r=pass ;;
		100) r=pending ;;
		*)
			[ "$rc" -ne 124 ] || out="$out${out:+
}no answer in ${T}s"
			if [ "$level" = error ]; then
				r=fail
				failed=1
			else
				r=warn
			fi
			;;
		esac
	fi
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/| /'
	printf '@@result %s\n' "$r"
}
# analyzed_now is the shell library's analyzed, bounded.
analyzed_now() {
	if ! sd_booted || ! command -v systemd-analyze >/dev/null 2>&1; then return 0; fi
	h=$(systemd-analyze --help 2>&1)
	a=
	case $h in *--man*) a="$a --man=no" ;; esac
	case $h in *--generators*) a="$a --generators=yes" ;; esac
	bounded "systemd-analyze verify$a default.target 2>&1" || true
}
verify_begin() {
	lock
	st=$(sed -n 's/^state //p' "$J" 2>/dev/null || true)
	if [ "$st" != commit ]; then
		echo "initcompat: verify: no apply is waiting for its verify (journal: ${st:-none}); another run has recovered it: run the build again" >&2
		unlock
		exit 1
	fi
	trap 'echo "initcompat: interrupted" >&2; recover; reload; unlock; exit 129' HUP INT TERM PIPE
}
verify_reload() {
	reload || echo "initcompat: warning: reloading the init system failed" >&2
	analyzed_now >"$B.after"
}
verify_end() {
	if [ "$failed" -ne 0 ]; then
		recover || echo "initcompat: undoing the apply failed; $J lists what is left, and the next run undoes it first" >&2
		reload || true
		unlock
		echo "$1"
		exit 0
	fi
	trap '' HUP INT TERM PIPE
	if ! { sed 's/^state commit$/state done/' "$J" >"$J.new" && mv -f -- "$J.new" "$J"; }; then
		echo "initcompat: cannot write the journal $J" >&2
		exit 1
	fi
	recover 2>/dev/null || echo "initcompat: warning: the image is complete, tidying failed; the next run tidies" >&2
	unlock
	echo "$2"
}
verify_begin
cat >"$L"/checks.sh <<'INITCOMPAT_CHECKS'
# shellcheck shell=sh
# shellcheck disable=SC2154 # R (the root prefix), B (the baseline), L (the lock directory) and INITCOMPAT_NEWLINES are the verify script's.
# The questions verify puts to the image's init system, one function each
# (plan.Check names them: check_NAME). A check's arguments come from the
# plan as data, quoted words on its `check` line; none is ever part of the
# code. Each exits 0 when the init system agrees, 100 when what initcompat
# wrote is accepted and takes effect later, anything else when it
# disagrees, and prints what it saw.

# check_loaded UNIT STATE: systemctl show says LoadState=STATE (loaded,
# or masked).
check_loaded() {
	v=$(systemctl show -p LoadState --value "$1")
	echo "LoadState=$v"
	[ "$v" = "$2" ]
}

# check_dropin UNIT PATH: PATH is among the unit's DropInPaths.
check_dropin() {
	systemctl show -p DropInPaths --value "$1" | tr ' ' '\n' | grep -Fx -- "$2"
}

# check_depends UNIT KEY VALUE: systemctl show -p KEY lists VALUE (After,
# Before, Wants, RequiresMountsFor).
check_depends() {
	systemctl show -p "$2" --value "$1" | tr ' ' '\n' | grep -Fx -- "$3"
}

# check_not_enabled UNIT: systemctl is-enabled does not say enabled.
check_not_enabled() {
	v=$(systemctl is-enabled "$1" 2>&1)
	echo "is-enabled: $v"
	[ "$v" != enabled ]
}

# check_lsb_status NAME: /etc/init.d/NAME status agrees with systemctl
# is-active. LSB status codes (LSB 3.0, 20.2): 0 running, 1-3 not running.
check_lsb_status() {
	a=$(systemctl is-active "$1.service")
	"$R/etc/init.d/$1" status >/dev/null 2>&1
	s=$?
	echo "systemctl is-active: $a; /etc/init.d/$1 status: exit $s"
	case $a in
	active | reloading) [ "$s" -eq 0 ] ;;
	*) [ "$s" -ge 1 ] && [ "$s" -le 3 ] ;;
	esac
}

# check_rc_links NAME: the rc links of NAME (an S link in runlevel 2, and
# chkconfig's runlevel 3 where the image has chkconfig) agree with
# systemctl is-enabled.
check_rc_links() {
	e=$(systemctl is-enabled "$1.service" 2>&1)
	l=
	for f in "$R"/etc/rc2.d/S[0-9][0-9]"$1"; do
		if [ -e "$f" ] || [ -L "$f" ]; then l=${f##*/}; fi
	done
	echo "is-enabled: $e; /etc/rc2.d: ${l:-no S link}"
	c=
	if command -v chkconfig >/dev/null 2>&1; then
		c=$(chkconfig --list "$1" 2>&1)
		echo "$c"
	fi
	case $e in
	enabled) [ -n "$l" ] && { [ -z "$c" ] || echo "$c" | grep -q '3:on'; } ;;
	*) [ -z "$l" ] && { [ -z "$c" ] || ! echo "$c" | grep -q '3:on'; } ;;
	esac
}

# check_preset UNIT=STATE...: the preset policy (systemd.preset(5), every
# file, the first match) says STATE (enabled or disabled) for each UNIT, as
# systemctl list-unit-files shows it in its last column. One systemctl and
# one awk, however many pins.
check_preset() {
	systemctl list-unit-files --no-legend --no-pager | awk '{ print $1 "=" $NF }' >"$L/presets" || return 1
	printf '%s\n' "$@" | awk -v have="$L/presets" '
		BEGIN { while ((getline l < have) > 0) seen[l] = 1 }
		!($0 in seen) { print "the presets do not say " $0; bad = 1 }
		END { exit bad }'
}

# check_start_returns NAME: a probe of what reading the image could not
# decide. systemd-sysv-generator's unit for /etc/init.d/NAME is Type=forking:
# systemctl start returns once the script exits, and never when its daemon
# stays in the foreground. Started here with a bound (20 s, far below the
# unit's own 5 minutes), then stopped again unless it ran before.
check_start_returns() {
	was=$(systemctl is-active "$1.service")
	if timeout 20 systemctl start "$1.service"; then
		echo "systemctl start $1 returned: the start action detaches, the generated unit fits it"
		r=0
	else
		r=$?
		if [ "$r" -eq 124 ]; then
			echo "systemctl start $1 did not return in 20 s: the start action waits for a daemon that stays in the foreground; set foreground_init_scripts = [\"$1\"] (a drop-in makes the unit Type=simple)"
		else
			echo "systemctl start $1 failed (exit $r): $(systemctl is-active "$1.service")"
		fi
	fi
	[ "$was" = active ] || systemctl stop "$1.service" || true
	return "$r"
}

# check_analyze WANT: systemd-analyze verify's new lines (newlines.awk)
# that are (WANT ours) or are not initcompat's.
check_analyze() {
	awk -v want="$1" -v base="$B" -v units="$B.units" "$INITCOMPAT_NEWLINES" "$B.after"
}

# check_upstart_override JOB: Upstart takes the job's override
# (upstart_override.sh, written beside this file).
check_upstart_override() {
	sh "$L/upstart-override.sh" "$1"
}

# check_upstart_known JOB: initctl knows the job.
check_upstart_known() {
	initctl status "$1"
}
INITCOMPAT_CHECKS
cat >"$B.units" <<'INITCOMPAT_UNITS'
(^|[^-A-Za-z0-9:_.@])svc00000\.service
(^|[^-A-Za-z0-9:_.@])svc00001\.service
INITCOMPAT_UNITS
verify_reload
check error 'svc00000.service is loaded' check_loaded 'svc00000.service' 'loaded'
check error 'svc00001.service is loaded' check_loaded 'svc00001.service' 'loaded'
check error '/etc/init.d/svc00000 status agrees with systemctl is-active' check_lsb_status 'svc00000'
check error '/etc/init.d/svc00001 status agrees with systemctl is-active' check_lsb_status 'svc00001'
check error 'the rc links of svc00000 match systemctl is-enabled' check_rc_links 'svc00000'
check error 'the rc links of svc00001 match systemctl is-enabled' check_rc_links 'svc00001'
check error 'the preset policy (systemctl list-unit-files) says what the 2 pins of 0-initcompat.preset say' check_preset 'svc00000.service=enabled' 'svc00001.service=enabled'
check error 'systemd-analyze verify finds nothing new that involves the units initcompat touched' check_analyze 'ours'
check warning 'systemd-analyze verify finds nothing else new' check_analyze 'others'
verify_end initcompat-verify-rolled-back initcompat-verify-passed
}
initcompat_verify
