#!/bin/sh
# Stand-in for Upstart's initctl, for the unit tests of verify (the booted
# tests in e2e ask the real Upstart 1.13.2). It prints what the real one
# prints, as recorded in testdata/initctl-real.txt (TestStandInInitctl
# holds it to that record, and e2e's TestInitctlRecord holds the record to
# the real Upstart): show-config -e one line per event as
# "  start on EVENT (job:, env: ARGS)", "initctl: Unknown job: X" with
# exit 1. A job named in INITCOMPAT_FAKE_RUNNING runs, and keeps the class
# it had before its override, as Upstart does; INITCOMPAT_FAKE_IGNORE_OVERRIDES
# makes an Upstart that does not see overrides at all.
set -u
dir=${INITCOMPAT_ROOT:-}/etc/init
running=${INITCOMPAT_FAKE_RUNNING:-}
known() {
	[ -f "$dir/$1.conf" ] && return 0
	echo "initctl: Unknown job: $1" >&2
	exit 1
}
state() {
	if [ "$1" = "$running" ]; then echo "$1 start/running, process 4242"; else echo "$1 stop/waiting"; fi
}
# conditions JOB -e|"": the job's start on and stop on, the override's
# replacing the .conf's unless the job runs (its old class) or overrides
# are ignored.
conditions() {
	for stanza in "start on" "stop on"; do
		src=$dir/$1.conf
		if [ -f "$dir/$1.override" ] && [ -z "${INITCOMPAT_FAKE_IGNORE_OVERRIDES:-}" ] && [ "$1" != "$running" ] &&
			grep -q "^$stanza " "$dir/$1.override"; then
			src=$dir/$1.override
		fi
		sed -n "s/^$stanza //p" "$src" | while IFS= read -r expr; do
			if [ "$2" != -e ]; then
				case " $expr " in
				*" and "* | *" or "*) echo "  $stanza ($expr)" ;;
				*) echo "  $stanza $expr" ;;
				esac
				continue
			fi
			printf '%s\n' "$expr" | awk -v s="$stanza" '{
				n = split($0, w, " ")
				ev = ""; job = ""; args = ""
				for (i = 1; i <= n + 1; i++) {
					if (i > n || w[i] == "and" || w[i] == "or") {
						if (ev != "") print "  " s " " ev " (job:" job ", env:" args ")"
						ev = ""; job = ""; args = ""
					} else if (ev == "") ev = w[i]
					else if (job == "" && args == "" && ev ~ /^(start|stopp)(ing|ed)$/) job = " " w[i]
					else args = args " " w[i]
				}
			}'
		done
	done
}
case "$1" in
version) echo "init (upstart 1.13.2)" ;;
reload-configuration) ;;
list)
	for f in "$dir"/*.conf; do
		j=${f##*/}
		state "${j%.conf}"
	done
	;;
status)
	known "$2"
	state "$2"
	;;
show-config)
	if [ "$2" = -e ]; then job=$3; else job=$2; fi
	known "$job"
	echo "$job"
	conditions "$job" "$2"
	;;
*)
	echo "initctl: unexpected $*" >&2
	exit 1
	;;
esac
