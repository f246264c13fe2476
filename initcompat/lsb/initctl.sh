# shellcheck shell=sh
# shellcheck disable=SC2154 # job is the data above.
# The initctl wrapper's actions (RenderInitctl): the header and the data
# (job, the Upstart job every action goes to) come before this. status
# exits 3 when the job is stopped: initctl status alone exits 0 for a
# stopped job.

state() { initctl status "$job" 2>/dev/null | sed -n 's/^[^ ]* \([a-z]*\)\/.*/\1/p'; }

case "${1:-}" in
start)
	[ "$(state)" = start ] && exit 0
	initctl start "$job"
	;;
stop)
	[ "$(state)" = stop ] && exit 0
	initctl stop "$job"
	;;
restart | force-reload)
	if [ "$(state)" = start ]; then initctl restart "$job"; else initctl start "$job"; fi
	;;
try-restart)
	[ "$(state)" = start ] || exit 0
	initctl restart "$job"
	;;
reload)
	initctl reload "$job"
	;;
status)
	out=$(initctl status "$job") || exit 4
	echo "$out"
	case "$out" in
	*start/running*) exit 0 ;;
	*) exit 3 ;;
	esac
	;;
*)
	echo "Usage: $0 {start|stop|restart|try-restart|reload|force-reload|status}" >&2
	exit 2
	;;
esac
