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
