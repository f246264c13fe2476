# initcompat verify: nothing runs before the last line.
initcompat_verify() {
set -u
# shellcheck shell=sh
# The library the apply, the recovery and the verify scripts share: the
# lock, and the recovery from a journal (see apply.go for the protocol).
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
rm_rf() { rm -rf -- "$@"; }
rmdir_quiet() { rmdir -- "$@" 2>/dev/null || true; }
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
# staged twin is gone (the rest go with the stage directory).
committed() {
	c_ifs=$IFS
	IFS=$NL
	set -f
	for c_p in $1; do
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
recover() {
	rm -f -- "$J.new"
	exists "$J" || return 0
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
	if [ "$state" != "done" ]; then
		bulk rmdir_quiet "$(j_kind mkdir "$R" | sort -r)"
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
# The verify script's runtime (see VerifyScript): the apply's shell library
# (shellLib) comes before it, and after it the plan's own part: the
# patterns of the touched units, verify_begin, one `check` line per
# question, verify_end.

# Every question gets at most INITCOMPAT_CHECK_TIMEOUT seconds: a hung
# systemctl or initctl must not hold the build. coreutils' timeout where
# the image has it (TERM, then KILL 5 s later); without it the check runs
# unbounded, and says so.
T=${INITCOMPAT_CHECK_TIMEOUT:-60}
if command -v timeout >/dev/null 2>&1; then
	bounded() { timeout -k 5 "$T" sh -c "$1"; }
else
	bounded() { sh -c "$1"; }
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
# check LEVEL NAME COMMAND: COMMAND exits 0 when the init system agrees,
# 100 when what initcompat wrote is accepted and takes effect later
# (pending), anything else when it disagrees; 124 is the timeout's.
check() {
	printf '@@check %s %s\n' "$1" "$2"
	if [ "$booted" != yes ]; then
		out="not asked: neither systemd nor Upstart runs this machine"
		r=skipped
	else
		out=$(bounded "$3" 2>&1)
		rc=$?
		case $rc in
		0) r=pass ;;
		100) r=pending ;;
		*)
			[ "$rc" -ne 124 ] || out="$out${out:+
}no answer in ${T}s"
			if [ "$1" = error ]; then
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
cat >"$B.units" <<'INITCOMPAT_UNITS'
(^|[^-A-Za-z0-9:_.@])svc00000\.service
(^|[^-A-Za-z0-9:_.@])svc00001\.service
INITCOMPAT_UNITS
verify_reload
check error 'svc00000.service is loaded' 'v=$(systemctl show -p LoadState --value '\''svc00000.service'\''); echo "LoadState=$v"; [ "$v" = loaded ]'
check error 'svc00001.service is loaded' 'v=$(systemctl show -p LoadState --value '\''svc00001.service'\''); echo "LoadState=$v"; [ "$v" = loaded ]'
check error '/etc/init.d/svc00000 status agrees with systemctl is-active' 'a=$(systemctl is-active svc00000.service); "$R"/etc/init.d/svc00000 status >/dev/null 2>&1; s=$?; echo "systemctl is-active: $a; /etc/init.d/svc00000 status: exit $s"; case $a in active | reloading) [ "$s" -eq 0 ] ;; *) [ "$s" -ge 1 ] && [ "$s" -le 3 ] ;; esac'
check error 'the rc links of svc00000 match systemctl is-enabled' 'e=$(systemctl is-enabled svc00000.service 2>&1); l=$(ls "$R"/etc/rc2.d 2>/dev/null | grep -E '\''^S[0-9][0-9]svc00000$'\''); echo "is-enabled: $e; /etc/rc2.d: ${l:-no S link}"; if command -v chkconfig >/dev/null 2>&1; then c=$(chkconfig --list svc00000 2>&1); echo "$c"; fi; case $e in enabled) [ -n "$l" ] && { [ -z "${c:-}" ] || echo "$c" | grep -q '\''3:on'\''; } ;; *) [ -z "$l" ] && { [ -z "${c:-}" ] || ! echo "$c" | grep -q '\''3:on'\''; } ;; esac'
check error '/etc/init.d/svc00001 status agrees with systemctl is-active' 'a=$(systemctl is-active svc00001.service); "$R"/etc/init.d/svc00001 status >/dev/null 2>&1; s=$?; echo "systemctl is-active: $a; /etc/init.d/svc00001 status: exit $s"; case $a in active | reloading) [ "$s" -eq 0 ] ;; *) [ "$s" -ge 1 ] && [ "$s" -le 3 ] ;; esac'
check error 'the rc links of svc00001 match systemctl is-enabled' 'e=$(systemctl is-enabled svc00001.service 2>&1); l=$(ls "$R"/etc/rc2.d 2>/dev/null | grep -E '\''^S[0-9][0-9]svc00001$'\''); echo "is-enabled: $e; /etc/rc2.d: ${l:-no S link}"; if command -v chkconfig >/dev/null 2>&1; then c=$(chkconfig --list svc00001 2>&1); echo "$c"; fi; case $e in enabled) [ -n "$l" ] && { [ -z "${c:-}" ] || echo "$c" | grep -q '\''3:on'\''; } ;; *) [ -z "$l" ] && { [ -z "${c:-}" ] || ! echo "$c" | grep -q '\''3:on'\''; } ;; esac'
check error 'systemd-analyze verify finds nothing new that involves the units initcompat touched' 'awk -v want=ours -v base="$B" -v units="$B.units" "$INITCOMPAT_NEWLINES" "$B.after"'
check warning 'systemd-analyze verify finds nothing else new' 'awk -v want=others -v base="$B" -v units="$B.units" "$INITCOMPAT_NEWLINES" "$B.after"'
verify_end initcompat-verify-rolled-back initcompat-verify-passed
}
initcompat_verify
