# shellcheck shell=sh
# The recovery run before a snapshot (after lib.sh): it recovers what an
# interrupted apply left, under the lock, and changes nothing else. All of
# it is in a function called on the last line: a cut stream runs nothing.
initcompat_recover() {
	exists "$J" || return 0
	lock
	recover || {
		unlock
		echo "initcompat: recovering the journal $J failed; the next run tries again" >&2
		exit 1
	}
	unlock
}
initcompat_recover
