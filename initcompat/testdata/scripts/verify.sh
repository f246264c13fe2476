# initcompat verify: nothing runs before the last line.
initcompat_verify() {
set -u
R=${INITCOMPAT_ROOT:-}
J="$R/var/lib/.initcompat-journal"
L="$R/var/lib/.initcompat-lock"
B="$R/var/lib/.initcompat-verify-baseline"
exists() { [ -e "$1" ] || [ -L "$1" ]; }
hidden() { printf '%s/%s/%s' "${2%/*}" "$1" "${2##*/}"; }
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
# recover rolls an interrupted apply back, or finishes a complete one.
recover() {
	rm -f -- "$J.new"
	exists "$J" || return 0
	state=$(sed -n 's/^state //p' "$J")
	case $state in
	begin | commit | done) ;;
	*)
		echo "initcompat: $J is not a journal this initcompat can read; check the paths it lists and move it away" >&2
		return 1
		;;
	esac
	if [ "$state" = commit ]; then
		while read -r k p; do
			[ "$k" = new ] || continue
			s=$R$(hidden .initcompat-stage "$p")
			if exists "$s"; then
				rm -f -- "$s" || return 1
			elif exists "$R$p"; then
				rm -f -- "$R$p" || return 1
			fi
		done <"$J"
	fi
	if [ "$state" != done ]; then
		# Shallowest first: a directory set aside comes back before its files.
		sed -n 's/^aside //p' "$J" | sort | while IFS= read -r p; do
			a=$R$(hidden .initcompat-old "$p")
			if exists "$a"; then mv -f -T -- "$a" "$R$p" || exit 1; fi
		done || return 1
	fi
	while read -r k p; do
		case $k in stagedir | asidedir) rm -rf -- "$R$p" || return 1 ;; esac
	done <"$J"
	if [ "$state" != done ]; then
		sed -n 's/^mkdir //p' "$J" | sort -r | while IFS= read -r p; do rmdir -- "$R$p" 2>/dev/null || true; done
	fi
	rm -f -- "$J" "$B" "$B.units" "$B.after" || return 1
	if [ "$state" = done ]; then what=finished; else what="rolled back"; fi
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
