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
{ : >"$T/payload" && : >"$T/journal" && : >"$T/ops" && : >"$T/sums"; } || exit 1
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
# pass journal_check before it is put in place: what recovery would refuse
# to undo is not begun.
# shellcheck disable=SC2154 # jc_header is journal.sh's, before lib.sh.
journal() {
	{ rm -f -- "$J.new" && { printf '%s\nstate %s\n' "$jc_header" "$1" && cat -- "$T/journal"; } >"$J.new" && chmod 600 -- "$J.new" &&
		{ exists "$J" || journal_check "$J.new"; } && mv -f -- "$J.new" "$J"; } ||
		fail "cannot write the journal $J"
}
initcompat_apply() {
	if [ "${2:-}" != initcompat-end ] || [ "$1" != "$(sha256sum <"$T/payload" | cut -c1-64)" ]; then
		echo "the apply script arrived cut short or damaged: it changed nothing" >&2
		exit 1
	fi
	if [ -z "$R" ] && [ "$(id -u)" != 0 ]; then
		echo "initcompat: writing the image needs root, and this shell runs as $(id -un); set use_sudo = true or an execute_command that becomes root" >&2
		exit 77
	fi
	lock
	trap 'echo "initcompat: interrupted" >&2; recover; unlock; exit 129' HUP INT TERM PIPE
	if exists "$J"; then fail "an apply interrupted since the snapshot left $J; run the build again (it recovers first)"; fi
	# shellcheck source=/dev/null
	. "$T/ops"
}
