initcompat_recover() {
set -u
R=${INITCOMPAT_ROOT:-}
J="$R/var/lib/.initcompat-journal"
L="$R/var/lib/.initcompat-lock"
B="$R/var/lib/.initcompat-verify-baseline"
exists() { [ -e "$1" ] || [ -L "$1" ]; }
hidden() { printf '%s/%s/%s' "${2%/*}" "$1" "${2##*/}"; }
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
# analyzed prints what systemd-analyze verify says of the boot transaction
# of the machine this runs on (a booted systemd only; nothing elsewhere).
analyzed() {
	if [ -n "$R" ] || [ ! -d /run/systemd/system ] || ! command -v systemd-analyze >/dev/null 2>&1; then return 0; fi
	h=$(systemd-analyze --help 2>&1)
	set --
	case $h in *--man*) set -- "$@" --man=no ;; esac
	case $h in *--generators*) set -- "$@" --generators=yes ;; esac
	systemd-analyze verify "$@" default.target 2>&1
	return 0
}
# recover rolls an interrupted apply back, or finishes a complete one.
recover() {
	rm -f -- "$J.new"
	exists "$J" || return 0
	state=$(sed -n 's/^state //p' "$J")
	case $state in
	begin | commit | done) ;;
	*)
		echo "initcompat: $J is not a journal this initcompat can read; check the paths it lists and move it away" >&2
		return 1
		;;
	esac
	if [ "$state" = commit ]; then
		while read -r k p; do
			[ "$k" = new ] || continue
			s=$R$(hidden .initcompat-stage "$p")
			if exists "$s"; then
				rm -f -- "$s" || return 1
			elif exists "$R$p"; then
				rm -f -- "$R$p" || return 1
			fi
		done <"$J"
	fi
	if [ "$state" != done ]; then
		# Shallowest first: a directory set aside comes back before its files.
		sed -n 's/^aside //p' "$J" | sort | while IFS= read -r p; do
			a=$R$(hidden .initcompat-old "$p")
			if exists "$a"; then mv -f -T -- "$a" "$R$p" || exit 1; fi
		done || return 1
	fi
	while read -r k p; do
		case $k in stagedir | asidedir) rm -rf -- "$R$p" || return 1 ;; esac
	done <"$J"
	if [ "$state" != done ]; then
		sed -n 's/^mkdir //p' "$J" | sort -r | while IFS= read -r p; do rmdir -- "$R$p" 2>/dev/null || true; done
	fi
	rm -f -- "$J" "$B" "$B.units" "$B.after" || return 1
	if [ "$state" = done ]; then what=finished; else what="rolled back"; fi
	echo "initcompat-recovered $what an apply interrupted in its $state phase" >&2
}
exists "$J" || return 0
lock
recover || { unlock; echo "initcompat: recovering the journal $J failed; the next run tries again" >&2; exit 1; }
unlock
}
initcompat_recover
