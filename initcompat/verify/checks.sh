# shellcheck shell=sh
# shellcheck disable=SC2154 # R (the root prefix), B (the baseline), L (the lock directory) and INITCOMPAT_NEWLINES are the verify script's.
# The questions verify puts to the image's init system, one function each
# (plan.Check names them: check_NAME). A check's arguments come from the
# plan as data, quoted words on its `check` line; none is ever part of the
# code. Each exits 0 when the init system agrees, 100 when what initcompat
# wrote is accepted and takes effect later, anything else when it
# disagrees, and prints what it saw.

# check_loaded UNIT STATE: systemctl show says LoadState=STATE (loaded,
# or masked).
check_loaded() {
	v=$(systemctl show -p LoadState --value "$1")
	echo "LoadState=$v"
	[ "$v" = "$2" ]
}

# check_dropin UNIT PATH: PATH is among the unit's DropInPaths.
check_dropin() {
	systemctl show -p DropInPaths --value "$1" | tr ' ' '\n' | grep -Fx -- "$2"
}

# check_depends UNIT KEY VALUE: systemctl show -p KEY lists VALUE (After,
# Before, Wants, RequiresMountsFor).
check_depends() {
	systemctl show -p "$2" --value "$1" | tr ' ' '\n' | grep -Fx -- "$3"
}

# check_not_enabled UNIT: systemctl is-enabled does not say enabled.
check_not_enabled() {
	v=$(systemctl is-enabled "$1" 2>&1)
	echo "is-enabled: $v"
	[ "$v" != enabled ]
}

# check_lsb_status NAME: /etc/init.d/NAME status agrees with systemctl
# is-active. LSB status codes (LSB 3.0, 20.2): 0 running, 1-3 not running.
check_lsb_status() {
	a=$(systemctl is-active "$1.service")
	"$R/etc/init.d/$1" status >/dev/null 2>&1
	s=$?
	echo "systemctl is-active: $a; /etc/init.d/$1 status: exit $s"
	case $a in
	active | reloading) [ "$s" -eq 0 ] ;;
	*) [ "$s" -ge 1 ] && [ "$s" -le 3 ] ;;
	esac
}

# check_rc_links NAME: the rc links of NAME (an S link in runlevel 2, and
# chkconfig's runlevel 3 where the image has chkconfig) agree with
# systemctl is-enabled.
check_rc_links() {
	e=$(systemctl is-enabled "$1.service" 2>&1)
	l=
	for f in "$R"/etc/rc2.d/S[0-9][0-9]"$1"; do
		if [ -e "$f" ] || [ -L "$f" ]; then l=${f##*/}; fi
	done
	echo "is-enabled: $e; /etc/rc2.d: ${l:-no S link}"
	c=
	if command -v chkconfig >/dev/null 2>&1; then
		c=$(chkconfig --list "$1" 2>&1)
		echo "$c"
	fi
	case $e in
	enabled) [ -n "$l" ] && { [ -z "$c" ] || echo "$c" | grep -q '3:on'; } ;;
	*) [ -z "$l" ] && { [ -z "$c" ] || ! echo "$c" | grep -q '3:on'; } ;;
	esac
}

# check_preset UNIT=STATE...: the preset policy (systemd.preset(5), every
# file, the first match) says STATE (enabled or disabled) for each UNIT, as
# systemctl list-unit-files shows it in its last column. One systemctl and
# one awk, however many pins.
check_preset() {
	systemctl list-unit-files --no-legend --no-pager | awk '{ print $1 "=" $NF }' >"$L/presets" || return 1
	printf '%s\n' "$@" | awk -v have="$L/presets" '
		BEGIN { while ((getline l < have) > 0) seen[l] = 1 }
		!($0 in seen) { print "the presets do not say " $0; bad = 1 }
		END { exit bad }'
}

# check_start_returns NAME: a probe of what reading the image could not
# decide. systemd-sysv-generator's unit for /etc/init.d/NAME is Type=forking:
# systemctl start returns once the script exits, and never when its daemon
# stays in the foreground. Started here with a bound (20 s, far below the
# unit's own 5 minutes), then stopped again unless it ran before.
check_start_returns() {
	was=$(systemctl is-active "$1.service")
	if timeout 20 systemctl start "$1.service"; then
		echo "systemctl start $1 returned: the start action detaches, the generated unit fits it"
		r=0
	else
		r=$?
		if [ "$r" -eq 124 ]; then
			echo "systemctl start $1 did not return in 20 s: the start action waits for a daemon that stays in the foreground; set foreground_init_scripts = [\"$1\"] (a drop-in makes the unit Type=simple)"
		else
			echo "systemctl start $1 failed (exit $r): $(systemctl is-active "$1.service")"
		fi
	fi
	[ "$was" = active ] || systemctl stop "$1.service" || true
	return "$r"
}

# check_analyze WANT: systemd-analyze verify's new lines (newlines.awk)
# that are (WANT ours) or are not initcompat's.
check_analyze() {
	awk -v want="$1" -v base="$B" -v units="$B.units" "$INITCOMPAT_NEWLINES" "$B.after"
}

# check_upstart_override JOB: Upstart takes the job's override
# (upstart_override.sh, written beside this file).
check_upstart_override() {
	sh "$L/upstart-override.sh" "$1"
}

# check_upstart_known JOB: initctl knows the job.
check_upstart_known() {
	initctl status "$1"
}
