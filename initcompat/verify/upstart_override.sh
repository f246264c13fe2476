#!/bin/sh
# verify_upstart.sh JOB: does Upstart take JOB's override (stop on)?
# Exit 0: Upstart accepts the files and PID 1 shows the job with a stop
# on. Exit 100 (pending): accepted, and an instance of the job runs:
# Upstart keeps a running job's old class until the job stops
# (init/job_class.c, job_class_remove returns early "if we have any active
# instances"), so the override takes effect at its next start. Anything
# else: Upstart rejects the job or the override. Whether it accepts them
# is asked of a session-mode Upstart over a copy: PID 1 keeps the old class
# of a job whose new files it cannot read, too, so its show-config alone
# cannot tell.
set -u
j=$1
conf=$R/etc/init/$j.conf
over=$R/etc/init/$j.override
if ! st=$(initctl status "$j" 2>&1); then
	# An instance job answers status only with its instance's variables.
	case $st in
	*"Unknown job"*)
		echo "$st"
		exit 1
		;;
	esac
fi
# parsed: a session-mode init (init --user) over a copy of the job's
# files parses them as PID 1 does (init/parse_job.c is the same) and, with
# --no-startup-event, starts nothing. It prints what it says of the job;
# returns 1 when Upstart rejects the files, 2 when it cannot be asked.
parsed() {
	init=$R/sbin/init
	if ! "$init" --version 2>/dev/null | grep -q upstart; then
		echo "not parsed on its own: $init is not an Upstart that runs in session mode"
		return 2
	fi
	d=$(mktemp -d "${TMPDIR:-/tmp}/initcompat-verify.XXXXXX") || return 2
	mkdir "$d/conf" "$d/run" "$d/log"
	cp -- "$conf" "$d/conf/" || return 1
	[ ! -e "$over" ] || cp -- "$over" "$d/conf/" || return 1
	# Without HOME, init --user spins instead of writing its session file.
	HOME=$d XDG_RUNTIME_DIR=$d/run "$init" --user --confdir "$d/conf" --logdir "$d/log" --no-startup-event >"$d/init.out" 2>&1 &
	pid=$!
	n=0
	sess=
	while [ "$n" -lt 50 ] && [ -z "$sess" ]; do
		sess=$(sed -n 's/^UPSTART_SESSION=//p' "$d/run/upstart/sessions/$pid.session" 2>/dev/null)
		[ -n "$sess" ] || sleep 0.2 2>/dev/null || sleep 1
		n=$((n + 1))
	done
	prc=2
	if [ -z "$sess" ]; then
		echo "not parsed on its own: the session-mode Upstart did not answer: $(cat "$d/init.out")"
	elif out=$(UPSTART_SESSION=$sess initctl show-config -e "$j" 2>&1); then
		prc=0
		# Upstart reports what it cannot read as "init:FILE:LINE: why".
		errs=$(grep -F "$d/conf/" "$d/init.out" | sed "s|$d/conf/|/etc/init/|")
		[ -z "$errs" ] || { echo "$errs"; prc=1; }
		echo "a session-mode Upstart over /etc/init/$j.conf and its override shows:"
		echo "$out"
		printf '%s\n' "$out" | grep -q '^  stop on' || prc=1
	else
		echo "a session-mode Upstart rejects /etc/init/$j.conf with its override: $out"
		sed "s|$d/conf/|/etc/init/|" "$d/init.out"
		prc=1
	fi
	# It started nothing (--no-startup-event): KILL leaves no orphan.
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -rf -- "$d"
	return "$prc"
}
parsed
[ $? -ne 1 ] || exit 1
running=$(initctl list 2>/dev/null | awk -v j="$j" '$1 == j && $NF != "stop/waiting"')
if [ -n "$running" ]; then
	echo "$running"
	echo "Upstart keeps the class of a running job until it stops: the override takes effect at the job's next start (initctl stop $j; initctl start $j), at the latest the next boot"
	exit 100
fi
initctl show-config -e "$j" || exit 1
initctl show-config -e "$j" | grep -q '^  stop on' && exit 0
echo "initctl shows $j without the stop on of /etc/init/$j.override"
exit 1
