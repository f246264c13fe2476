# shellcheck shell=sh
# shellcheck disable=SC2154 # unit, reload and sockets are the data above, one line each.
# shellcheck disable=SC2086 # sockets holds unit names, split into words on purpose.
# The LSB redirect's actions (Render): the header and the data (unit, the
# systemd unit every action goes to; reload, whether it has ExecReload=)
# come before this.

# sd_booted(3): systemd is PID 1 only when this directory exists. In a
# chroot or an image build there is no systemd to ask, and starting the
# daemon from here would run it outside its unit.
if [ ! -d /run/systemd/system ]; then
	echo "$0: systemd is not running here; not running '${1:-}' for $unit" >&2
	case "${1:-}" in
	status) exit 4 ;;
	stop | try-restart) exit 0 ;;
	*) exit 1 ;;
	esac
fi

case "${1:-}" in
start)
	# A socket-activated service starts listening with its sockets.
	if [ -n "${sockets:-}" ]; then systemctl start $sockets || exit 1; fi
	systemctl start "$unit"
	;;
stop)
	# Its sockets stop first: one left listening would start the service
	# again at the next connection.
	if [ -n "${sockets:-}" ]; then systemctl stop $sockets || exit 1; fi
	systemctl stop "$unit"
	;;
restart)
	# As start: restarted alone, a stopped pair's service would run
	# without its sockets.
	if [ -n "${sockets:-}" ]; then systemctl start $sockets || exit 1; fi
	systemctl restart "$unit"
	;;
try-restart)
	systemctl try-restart "$unit"
	;;
reload)
	if [ "$reload" != yes ]; then
		echo "$0: $unit has no ExecReload=; use restart" >&2
		exit 3
	fi
	systemctl reload "$unit"
	;;
force-reload)
	if [ "$reload" = yes ]; then
		systemctl try-reload-or-restart "$unit"
	else
		systemctl try-restart "$unit"
	fi
	;;
status)
	systemctl --no-pager status "$unit"
	;;
*)
	echo "Usage: $0 {start|stop|restart|try-restart|reload|force-reload|status}" >&2
	exit 2
	;;
esac
