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
