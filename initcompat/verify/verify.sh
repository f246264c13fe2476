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
