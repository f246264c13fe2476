# initcompat apply: nothing runs before the last line.
initcompat_apply() {
set -u
umask 022
if [ -z "${INITCOMPAT_ROOT:-}" ] && [ "$(id -u)" != 0 ]; then
	echo "initcompat: writing the image needs root, and this shell runs as $(id -un); set use_sudo = true or an execute_command that becomes root" >&2
	exit 77
fi
# shellcheck shell=sh
# shellcheck disable=SC2154 # R (the image's root prefix) is the includer's.
#
# journal_check FILE refuses (exit status 1, saying why on stderr) a
# journal that recovery must not act on: the same checks as journal.go's
# ParseJournal and Check, which a test runs on the same journals. A
# bounded number of processes, whatever the journal's size, except for
# what a commit-phase recovery must prove path by path.
# What journal.go states (TestJournalShellConstants holds them equal).
jc_max_journal=134217728
jc_max_proof=268435456
jc_depth=32
jc_header='initcompat-journal 2'
jc_manifest_header='{"generator": "initcompat"'

journal_check() {
	jf=$1
	if [ -L "$jf" ] || [ ! -f "$jf" ]; then
		jc_refuse "it is not a regular file (a link, a FIFO or a device is never read)"
		return 1
	fi
	jc_n=$(stat -c %s -- "$jf") || return 1
	if [ "$jc_n" -gt "$jc_max_journal" ]; then
		jc_refuse "larger than $jc_max_journal bytes"
		return 1
	fi
	jc_shape && jc_ways && jc_mounts && jc_state
}

jc_refuse() {
	echo "initcompat: refusing the journal $jf: $*; nothing was changed (if no build is running, look at what it lists and move it away)" >&2
	return 1
}

# jc_first prints the first line of its input, and fails when there is one.
jc_first() {
	jc_x=$(head -n 1)
	[ -z "$jc_x" ] || {
		printf '%s\n' "$jc_x"
		return 1
	}
}

# jc_shape: what the journal says, before the image is read.
jc_shape() {
	if [ "$(head -n 1 -- "$jf")" != "$jc_header" ]; then
		jc_refuse "its first line is not \"$jc_header\""
		return 1
	fi
	if [ "$(tr -d '\000' <"$jf" | wc -c)" -ne "$jc_n" ]; then
		jc_refuse "it holds a NUL byte"
		return 1
	fi
	p='(/[^/]+)+'
	if ! x=$(sed 1d -- "$jf" | LC_ALL=C grep -a -n -v -E -e '^state (begin|commit|done)$' \
		-e "^(manifest|mkdir|stagedir|asidedir|aside) $p\$" -e "^new [fl]:[0-9a-f]{64} $p\$" | jc_first); then
		jc_refuse "line $((${x%%:*} + 1)) is not a journal line of an apply: ${x#*:}"
		return 1
	fi
	if ! x=$(LC_ALL=C grep -a -E -e '/\.\.?(/|$)' -e "(/[^/]+){$((jc_depth + 1))}" -- "$jf" | jc_first); then
		jc_refuse "not an absolute, clean path: $x"
		return 1
	fi
	x=$(grep -c '^state ' -- "$jf")
	if [ "$x" -ne 1 ]; then
		jc_refuse "it has $x state lines, not one"
		return 1
	fi
	x=$(grep -c '^manifest ' -- "$jf")
	if [ "$x" -gt 1 ]; then
		jc_refuse "it names $x manifests, not one"
		return 1
	fi
	jc_m=$(sed -n 's/^manifest //p' -- "$jf")
	if [ -n "$jc_m" ]; then
		case $jc_m in */.initcompat-*) jc_m_bad=1 ;; *) jc_m_bad= ;; esac
		case ${jc_m%/*}/ in / | /usr/* | /proc/* | /sys/* | /dev/* | /run/* | /tmp/*) jc_m_bad=1 ;; esac
		if [ -n "$jc_m_bad" ]; then
			jc_refuse "the manifest $jc_m is not a place for one"
			return 1
		fi
	fi
	jc_twins stage stagedir new 's/^new [^ ]* //p' && jc_twins old asidedir aside 's/^aside //p' || return 1
	if ! x=$(sed -n -e 's/^new [^ ]* //p' -e 's/^aside //p' -- "$jf" |
		LC_ALL=C grep -v -E '^(/etc/(init\.d|rc\.d|rcS\.d|rc[0-6]\.d|systemd/system|init|initcompat)(/|$)|/usr/bin/systemctl$|/bin/systemctl$)' |
		grep -v -x -F -e "$jc_m" -e "${jc_m%/*}" | jc_first); then
		jc_refuse "$x is not a path initcompat writes"
		return 1
	fi
	# Every directory the apply made holds, or is on the way to, a stage
	# directory: it appears once below only when it does not.
	if ! x=$({
		jc_above_stage
		jc_above_stage
		sed -n 's/^mkdir //p' -- "$jf" | LC_ALL=C sort -u
	} | LC_ALL=C sort | uniq -u | jc_first); then
		jc_refuse "mkdir $x holds nothing the apply staged"
		return 1
	fi
}

# jc_above_stage lists the directories above every stage directory's, and
# its own (not /).
jc_above_stage() {
	sed -n 's/^stagedir //p' -- "$jf" | sed -n -e 's|/[^/]*$||' -e ':a' -e '/./p' -e 's|/[^/]*$||' -e '/./ba' | LC_ALL=C sort -u
}

# jc_twins NAME DIRKIND KIND SED: the DIRKIND lines name .initcompat-NAME
# directories, each the twin directory of a KIND path's, and each KIND path
# has its own: a directory appears once below only when one lacks the other.
jc_twins() {
	if ! x=$(sed -n "s/^$2 //p" -- "$jf" | grep -v -E "/\\.initcompat-$1\$" | jc_first); then
		jc_refuse "$x is not named .initcompat-$1"
		return 1
	fi
	if ! x=$({
		sed -n "s/^$2 //p" -- "$jf" | LC_ALL=C sort -u
		sed -n "$4" -- "$jf" | sed 's|/[^/]*$||' | sed "s|\$|/.initcompat-$1|" | LC_ALL=C sort -u
	} | LC_ALL=C sort | uniq -u | jc_first); then
		jc_refuse "$x is not the twin directory of exactly the $3 paths listed"
		return 1
	fi
}

# jc_ways: every directory on the way to a listed path, and the stage and
# aside directories themselves, is a directory (not a link) on the mount
# of the image's root or of /var/lib (st_dev and the mount point: a bind
# mount of the same file system moves the mount point); one stat for all.
jc_ways() {
	jc_d1=$(jc_ere "$(stat -c '%d:%m' -- "${R:-/}/.")") || return 1
	jc_d2=$jc_d1
	if [ -d "$R/var/lib" ] && [ ! -L "$R/var/lib" ]; then jc_d2=$(jc_ere "$(stat -c '%d:%m' -- "$R/var/lib/.")") || return 1; fi
	if ! x=$({
		sed -n -e 's/^new [^ ]* //p' -e 's/^mkdir //p' -e 's/^stagedir //p' -e 's/^asidedir //p' -e 's/^aside //p' -e 's/^manifest //p' -- "$jf" |
			sed -n -e 's|/[^/]*$||' -e ':a' -e '/./p' -e 's|/[^/]*$||' -e '/./ba'
		sed -n -e 's/^stagedir //p' -e 's/^asidedir //p' -- "$jf"
	} | LC_ALL=C sort -u | sed 's|^|.|' | tr '\n' '\000' |
		(cd "${R:-/}" && xargs -0 -r stat -c '%F|%d:%m|%n' -- 2>/dev/null) |
		LC_ALL=C grep -v -E "^directory\|($jc_d1|$jc_d2)\|" | jc_first); then
		case $x in
		directory\|*) jc_refuse "/${x#*|./} is on another mount than the image's root (a mount point); recovery does not cross it" ;;
		*) jc_refuse "/${x#*|./} is not a directory (a ${x%%|*}); recovery does not follow it" ;;
		esac
		return 1
	fi
}

# jc_mounts: no mount point is in (or is) a stage or aside directory,
# which recovery removes whole (rm --one-file-system compares st_dev
# only, and a bind mount of the same file system keeps it).
jc_mounts() {
	[ -r /proc/self/mountinfo ] || return 0
	if ! x=$({
		cut -d ' ' -f 5 /proc/self/mountinfo | while IFS= read -r m; do
			case $m in "$R"/*) printf '%s\n' "${m#"$R"}" ;; esac
		done | sed -n -e ':a' -e '/./p' -e 's|/[^/]*$||' -e '/./ba' | LC_ALL=C sort -u
		sed -n -e 's/^stagedir //p' -e 's/^asidedir //p' -- "$jf" | LC_ALL=C sort -u
	} | LC_ALL=C sort | uniq -d | jc_first); then
		jc_refuse "$x holds a mount point, which recovery does not remove"
		return 1
	fi
}

# jc_ere quotes its argument for grep -E.
jc_ere() { printf '%s\n' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# jc_proof P PROOF: P holds what the apply wrote there.
jc_proof() {
	case $2 in
	f:*)
		[ -f "$R$1" ] && [ ! -L "$R$1" ] || return 1
		[ "$(stat -c %s -- "$R$1")" -le "$jc_max_proof" ] || return 1
		[ "f:$(sha256sum <"$R$1" | cut -c1-64)" = "$2" ] || return 1
		;;
	l:*)
		[ -L "$R$1" ] || return 1
		[ "l:$(readlink -- "$R$1" | tr -d '\n' | sha256sum | cut -c1-64)" = "$2" ] || return 1
		;;
	esac
	if [ "$1" = "$jc_m" ]; then
		[ "$(head -c ${#jc_manifest_header} -- "$R$1")" = "$jc_manifest_header" ] || return 1
	fi
}

# jc_state: what recovery removes or puts back is as an apply left it. A
# committed path recovery removes is listed twice below, a path a
# set-aside copy goes back to that is still there once more: once alone,
# it would be replaced.
jc_state() {
	jc_s=$(sed -n 's/^state //p' -- "$jf")
	[ "$jc_s" != "done" ] || return 0
	if ! x=$({
		if [ "$jc_s" = commit ]; then
			sed -n 's/^new //p' -- "$jf" | while read -r pr p; do
				s=$R$(hidden .initcompat-stage "$p")
				if exists "$s"; then
					if [ -L "$s" ]; then
						continue
					elif [ ! -f "$s" ]; then
						echo "refuse $s is not a staged file or link"
					fi
				elif exists "$R$p"; then
					if jc_proof "$p" "$pr"; then
						printf 'undone %s\nundone %s\n' "$p" "$p"
					else
						echo "refuse $p is not what the apply wrote there; recovery would remove it"
					fi
				fi
			done
		fi
		sed -n 's/^aside //p' -- "$jf" | while IFS= read -r p; do
			if exists "$R$(hidden .initcompat-old "$p")" && exists "$R$p"; then echo "undone $p"; fi
		done
	} | LC_ALL=C sort | uniq -c | sed -n -e 's/^ *1 undone /both /p' -e 's/^ *[0-9]* refuse /refuse /p' | jc_first); then
		case $x in
		refuse*) jc_refuse "${x#refuse }" ;;
		*) jc_refuse "${x#both } and its set-aside copy both exist; the copy would replace it" ;;
		esac
		return 1
	fi
}
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
# recover rolls an interrupted apply back, or finishes a complete one.
recover() {
	rm -f -- "$J.new"
	exists "$J" || return 0
	journal_check "$J" || return 1
	state=$(sed -n 's/^state //p' "$J")
	case $state in
	begin | commit | done) ;;
	*)
		echo "initcompat: $J is not a journal this initcompat can read; check the paths it lists and move it away" >&2
		return 1
		;;
	esac
	if [ "$state" = commit ]; then
		while read -r k _ p; do
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
		case $k in stagedir | asidedir) rm -rf --one-file-system -- "$R$p" || return 1 ;; esac
	done <"$J"
	if [ "$state" != done ]; then
		sed -n 's/^mkdir //p' "$J" | sort -r | while IFS= read -r p; do rmdir -- "$R$p" 2>/dev/null || true; done
	fi
	rm -f -- "$J" "$B" "$B.units" "$B.after" || return 1
	if [ "$state" = done ]; then what=finished; else what="rolled back"; fi
	echo "initcompat-recovered $what an apply interrupted in its $state phase" >&2
}
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
changed() { fail "$1 changed since the snapshot ($2); run the build again"; }
absent() { if exists "$1"; then changed "$1" "it exists now"; fi; }
isfile() {
	[ -f "$1" ] && [ ! -L "$1" ] || changed "$1" "no longer a regular file"
	[ "$(sha256sum <"$1" | cut -c1-64)" = "$2" ] || changed "$1" "its content differs"
}
islink() { [ -L "$1" ] && [ "$(readlink -- "$1")" = "$2" ] || changed "$1" "no longer a symlink to $2"; }
isdir() {
	if [ -L "$1" ]; then fail "$1 is a symlink (to $(readlink -- "$1")); initcompat writes only into real directories of the image"; fi
	[ -d "$1" ] || changed "$1" "no longer a directory"
}
journal() { rm -f -- "$J.new" && cat >"$J.new" && { exists "$J" || journal_check "$J.new"; } && mv -f -- "$J.new" "$J" || fail "cannot write the journal $J"; }
lock
trap 'echo "initcompat: interrupted" >&2; recover; unlock; exit 129' HUP INT TERM PIPE
if exists "$J"; then fail "an apply interrupted since the snapshot left $J; run the build again (it recovers first)"; fi
payload() {
	base64 -d <<'INITCOMPAT_PAYLOAD' | '/usr/bin/gzip' -dc
H4sIAAAAAAAA/+xa33PaOhbOa/xXnAKz2XYCSP4ZyHRndifd3czOZjtN9750Oh1hy6AbkHIlQZoJ
+d/vyIYEEoeSBIw71fdiLMnnHH2fj46xRXXcZpzpVtJumWMsRpdEN5Umfdre2wwQQihCKDuix8fH
v3HoRngPgg35X4mx0kTuISSF0KvG/aj/4eR+Ehj9ZYy2Kf9L9EfYtfqXgVx/XD39Pat/Gcj1d6un
v2/1LwO5/l719A+s/mUg19+vnv6h1b8M5PoH1dM/svqXgVz/sHL6u8jqXwYmRLaHrNe+F3/zN8Kz
9XcR8uz6XwpWvv9Rk3gTk8n0D4Kn9HdDz3uQ/5GP0R6UQuIvrn/9TbvHeFsNnDr8l3DSpwn0ruH+
VoC+GCaUH4MeUOD0u4bemA0TkPRKMk0V6AFTkLIhPYREABcaaMJ0y6nX6/CPD/86PYPTs9PPcHr2
z/85dfgoxYQlVHXhDvO7zKnDJ/rHmEmaNM81kTob0+BUXwl5AQ1JR0LTb6laHiguc1vFA09oSsZD
vWAQXPDAh2Cpc24EEGAInTqcD4TUzROqYskuNRO8C4rKCYspoOzKhY4c59fqt4w3ILFpV5AKeTc5
6AvQAtS10nSUHKi7jtbM7KFThwIoAXpANIwvE6JpU8at5HAeySEwPhEXeSsQnhSbiFPezOKKCYdY
cC3FEJhuzYMBphUdpsD6XEiqio1kKudz7ua3AtFsQmFsDA+IytoUGZmOEc3V/3B2sqC98/Hvn//9
vj1Wsq16jHezX9mP/LTHuGOsvT94SM2B49RBJd96Qmia/NV7270PXcHH0xPAIPjwGq4GlOeRJkzS
WAt5DfQ7U1q14JQDceoQD0wig5BAOLAR6dPZ/awHVFJjj9+pZAQj6uLQUAtmmdCM981Apw4JoSPB
IZViBNmVV2JssmLMgWkQY61YQg2zGUMth6XwBd5AM4G2HPP2zMPsCF+z9OLOPo0HAmoNtDRDk1Ny
zLnxbnwdL7UcNG5wt3l7kN1uDeOtBn/7i+vsx0RRqOW9NWDc2Vea6LF6azjR4MPxsWkSlzAFLa+b
kmZznHWjrPvd7AxnZ1SR2EmZ4zwynV0JU5iZm5l6YNjZzycV6yHUGrgGtTxcZ//42JF0KEjydpGC
xt3NxQV8+E7jT9mY98cwVnTuYzbZLEovs5QKGdPmnb17nwuxLLme0bI4tNnkonlJ+lRC3rt0wbu7
MP+vSJ92oYHgJrM7NQRMZ06mCw6neTzTxeCmuenbxSm4mYOM6FLW/3XqP36ljxfVf2zrfxmoTv3H
P0v9xy+o//ip+o9t/X+q/mNb/239t/V/u1j1/f8/CG/kDUBW/6PoGe9/XBThPXBbrfmzyYbeRBTg
F6//6+n/uifAF+nvFen/2ifRAlj9n9z/sdP8d23+l4H19N9B/vs2/8vAqv0/57vLf4wK13+b/5vG
evqXnv8YBTb/y8Cq/V87zf/C9d/m/6axnv47yP/Q5n8ZWLX/b6f5X7j+2/zfNNbTfwf5H9n8LwOr
9n/uNP8L13+b/5vGevqXn/8Y2fwvA6v2/+70/V/h+m/zf9NYT/8d1P/C7z82/zeNtfZ/jwhnKVW6
9bsS/Pk+DB+h7z+lfxBF4UP9g8ju/y0FN7U+5VQSLWStC7V76WuHUJtQqZjgpiPfBWQaKdeSUVXr
whfnpnZJ9MD0txc2ks0XazP6gvHE9KdsSM25GhA3CE1L1IncuENiL8WuF8XxUefo6CjCEe1h4nfc
0D1KgyRJfL/j9YJOGiHkR16IfRxEAfF7JLOWbxAx5hadqgEbmbah6jUlzfeC1G4PV4eLV4cbhDhA
AYp92unhMEy8hHZc1CGei45Q7PpBGkd+B+MYBQilHY/2kiTudGIv8Ul8lHaKw8XPCDf7TLsYZMLk
60nIP/4ulPpFD+p6NGT8wjRpIvtUm8bHVXnzUeDnR4E3wTDeCsO4EgzjSjDsboVht5Us/l3dEcPL
UeyKYW8rDHuVYNirBMP+Vhj2K8GwXwmGg60wHFSC4aASDIdbYTisRKULd1zpJkQWcTu7cP5v6vFF
5p/Yiy9sLz+7/9CG8/W2nC2mFhYWFcWfAQAA//+kccTuAFAAAA==
INITCOMPAT_PAYLOAD
}
[ "$(payload | sha256sum | cut -c1-64)" = 071d4a37ee1363b0e61b4ad43be91b4e6413972fce1e549471e717c881de7ffb ] || fail 'the payload arrived damaged'
isdir "$R"'/var/lib'
isdir "$R"'/etc/init.d'
absent "$R"'/etc/init.d/.initcompat-stage'
absent "$R"'/etc/rc0.d'
absent "$R"'/etc/rc1.d'
absent "$R"'/etc/rc2.d'
absent "$R"'/etc/rc3.d'
absent "$R"'/etc/rc4.d'
absent "$R"'/etc/rc5.d'
absent "$R"'/etc/rc6.d'
absent "$R"'/var'
absent "$R"'/var/lib'
absent "$R"'/var/lib/initcompat'
absent "$R"'/etc/init.d/svc00000'
absent "$R"'/etc/init.d/svc00001'
absent "$R"'/etc/rc0.d/K01svc00000'
absent "$R"'/etc/rc0.d/K01svc00001'
absent "$R"'/etc/rc1.d/K01svc00000'
absent "$R"'/etc/rc1.d/K01svc00001'
absent "$R"'/etc/rc2.d/S01svc00000'
absent "$R"'/etc/rc2.d/S01svc00001'
absent "$R"'/etc/rc3.d/S01svc00000'
absent "$R"'/etc/rc3.d/S01svc00001'
absent "$R"'/etc/rc4.d/S01svc00000'
absent "$R"'/etc/rc4.d/S01svc00001'
absent "$R"'/etc/rc5.d/S01svc00000'
absent "$R"'/etc/rc5.d/S01svc00001'
absent "$R"'/etc/rc6.d/K01svc00000'
absent "$R"'/etc/rc6.d/K01svc00001'
absent "$R"'/var/lib/initcompat/manifest.json'
journal <<'INITCOMPAT_JOURNAL'
initcompat-journal 2
state begin
manifest /var/lib/initcompat/manifest.json
mkdir /etc/rc0.d
mkdir /etc/rc1.d
mkdir /etc/rc2.d
mkdir /etc/rc3.d
mkdir /etc/rc4.d
mkdir /etc/rc5.d
mkdir /etc/rc6.d
mkdir /var
mkdir /var/lib
mkdir /var/lib/initcompat
stagedir /etc/init.d/.initcompat-stage
stagedir /etc/rc0.d/.initcompat-stage
stagedir /etc/rc1.d/.initcompat-stage
stagedir /etc/rc2.d/.initcompat-stage
stagedir /etc/rc3.d/.initcompat-stage
stagedir /etc/rc4.d/.initcompat-stage
stagedir /etc/rc5.d/.initcompat-stage
stagedir /etc/rc6.d/.initcompat-stage
stagedir /var/lib/initcompat/.initcompat-stage
new f:7972c9ac3f1237cc89888717eb1a492628f5ddd4493b59f7004736141575a4ba /etc/init.d/svc00000
new f:5615050c4e9b166d3de9209a32080c245fc74911c0500f93ebddc99c3d4ac8f9 /etc/init.d/svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc0.d/K01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc0.d/K01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc1.d/K01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc1.d/K01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc2.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc2.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc3.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc3.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc4.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc4.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc5.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc5.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc6.d/K01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc6.d/K01svc00001
new f:0168f0671627bf2c944b463c4efe5ccea25ffd38b4deb836be565a04990c2e4f /var/lib/initcompat/manifest.json
INITCOMPAT_JOURNAL
mkdir -m 0755 -- "$R"'/etc/rc0.d' || fail 'cannot create /etc/rc0.d'
mkdir -m 0755 -- "$R"'/etc/rc1.d' || fail 'cannot create /etc/rc1.d'
mkdir -m 0755 -- "$R"'/etc/rc2.d' || fail 'cannot create /etc/rc2.d'
mkdir -m 0755 -- "$R"'/etc/rc3.d' || fail 'cannot create /etc/rc3.d'
mkdir -m 0755 -- "$R"'/etc/rc4.d' || fail 'cannot create /etc/rc4.d'
mkdir -m 0755 -- "$R"'/etc/rc5.d' || fail 'cannot create /etc/rc5.d'
mkdir -m 0755 -- "$R"'/etc/rc6.d' || fail 'cannot create /etc/rc6.d'
mkdir -m 0755 -- "$R"'/var' || fail 'cannot create /var'
mkdir -m 0755 -- "$R"'/var/lib' || fail 'cannot create /var/lib'
mkdir -m 0755 -- "$R"'/var/lib/initcompat' || fail 'cannot create /var/lib/initcompat'
payload | tar -x -m -p -P -f - -C "${R:-/}" || fail 'cannot unpack the staged files'
journal <<'INITCOMPAT_JOURNAL'
initcompat-journal 2
state commit
manifest /var/lib/initcompat/manifest.json
mkdir /etc/rc0.d
mkdir /etc/rc1.d
mkdir /etc/rc2.d
mkdir /etc/rc3.d
mkdir /etc/rc4.d
mkdir /etc/rc5.d
mkdir /etc/rc6.d
mkdir /var
mkdir /var/lib
mkdir /var/lib/initcompat
stagedir /etc/init.d/.initcompat-stage
stagedir /etc/rc0.d/.initcompat-stage
stagedir /etc/rc1.d/.initcompat-stage
stagedir /etc/rc2.d/.initcompat-stage
stagedir /etc/rc3.d/.initcompat-stage
stagedir /etc/rc4.d/.initcompat-stage
stagedir /etc/rc5.d/.initcompat-stage
stagedir /etc/rc6.d/.initcompat-stage
stagedir /var/lib/initcompat/.initcompat-stage
new f:7972c9ac3f1237cc89888717eb1a492628f5ddd4493b59f7004736141575a4ba /etc/init.d/svc00000
new f:5615050c4e9b166d3de9209a32080c245fc74911c0500f93ebddc99c3d4ac8f9 /etc/init.d/svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc0.d/K01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc0.d/K01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc1.d/K01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc1.d/K01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc2.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc2.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc3.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc3.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc4.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc4.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc5.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc5.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc6.d/K01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc6.d/K01svc00001
new f:0168f0671627bf2c944b463c4efe5ccea25ffd38b4deb836be565a04990c2e4f /var/lib/initcompat/manifest.json
INITCOMPAT_JOURNAL
mv -f -t "$R"'/etc/init.d' -- "$R"'/etc/init.d/.initcompat-stage/svc00000' "$R"'/etc/init.d/.initcompat-stage/svc00001' || fail 'cannot rename the staged files into /etc/init.d'
mv -f -t "$R"'/etc/rc0.d' -- "$R"'/etc/rc0.d/.initcompat-stage/K01svc00000' "$R"'/etc/rc0.d/.initcompat-stage/K01svc00001' || fail 'cannot rename the staged files into /etc/rc0.d'
mv -f -t "$R"'/etc/rc1.d' -- "$R"'/etc/rc1.d/.initcompat-stage/K01svc00000' "$R"'/etc/rc1.d/.initcompat-stage/K01svc00001' || fail 'cannot rename the staged files into /etc/rc1.d'
mv -f -t "$R"'/etc/rc2.d' -- "$R"'/etc/rc2.d/.initcompat-stage/S01svc00000' "$R"'/etc/rc2.d/.initcompat-stage/S01svc00001' || fail 'cannot rename the staged files into /etc/rc2.d'
mv -f -t "$R"'/etc/rc3.d' -- "$R"'/etc/rc3.d/.initcompat-stage/S01svc00000' "$R"'/etc/rc3.d/.initcompat-stage/S01svc00001' || fail 'cannot rename the staged files into /etc/rc3.d'
mv -f -t "$R"'/etc/rc4.d' -- "$R"'/etc/rc4.d/.initcompat-stage/S01svc00000' "$R"'/etc/rc4.d/.initcompat-stage/S01svc00001' || fail 'cannot rename the staged files into /etc/rc4.d'
mv -f -t "$R"'/etc/rc5.d' -- "$R"'/etc/rc5.d/.initcompat-stage/S01svc00000' "$R"'/etc/rc5.d/.initcompat-stage/S01svc00001' || fail 'cannot rename the staged files into /etc/rc5.d'
mv -f -t "$R"'/etc/rc6.d' -- "$R"'/etc/rc6.d/.initcompat-stage/K01svc00000' "$R"'/etc/rc6.d/.initcompat-stage/K01svc00001' || fail 'cannot rename the staged files into /etc/rc6.d'
mv -f -t "$R"'/var/lib/initcompat' -- "$R"'/var/lib/initcompat/.initcompat-stage/manifest.json' || fail 'cannot rename the staged files into /var/lib/initcompat'
journal <<'INITCOMPAT_JOURNAL'
initcompat-journal 2
state done
manifest /var/lib/initcompat/manifest.json
mkdir /etc/rc0.d
mkdir /etc/rc1.d
mkdir /etc/rc2.d
mkdir /etc/rc3.d
mkdir /etc/rc4.d
mkdir /etc/rc5.d
mkdir /etc/rc6.d
mkdir /var
mkdir /var/lib
mkdir /var/lib/initcompat
stagedir /etc/init.d/.initcompat-stage
stagedir /etc/rc0.d/.initcompat-stage
stagedir /etc/rc1.d/.initcompat-stage
stagedir /etc/rc2.d/.initcompat-stage
stagedir /etc/rc3.d/.initcompat-stage
stagedir /etc/rc4.d/.initcompat-stage
stagedir /etc/rc5.d/.initcompat-stage
stagedir /etc/rc6.d/.initcompat-stage
stagedir /var/lib/initcompat/.initcompat-stage
new f:7972c9ac3f1237cc89888717eb1a492628f5ddd4493b59f7004736141575a4ba /etc/init.d/svc00000
new f:5615050c4e9b166d3de9209a32080c245fc74911c0500f93ebddc99c3d4ac8f9 /etc/init.d/svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc0.d/K01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc0.d/K01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc1.d/K01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc1.d/K01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc2.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc2.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc3.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc3.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc4.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc4.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc5.d/S01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc5.d/S01svc00001
new l:5f65e430a35c9e97a7b25d5c2cfb0664b70316dbb5d92550f412b3b1f36895ae /etc/rc6.d/K01svc00000
new l:9f26fc42a4e927d64e35c7426a02b3ed0a9e17066d0b7b352f01ef622c6472ef /etc/rc6.d/K01svc00001
new f:0168f0671627bf2c944b463c4efe5ccea25ffd38b4deb836be565a04990c2e4f /var/lib/initcompat/manifest.json
INITCOMPAT_JOURNAL
trap '' HUP INT TERM PIPE
recover 2>/dev/null || echo "initcompat: warning: the image is complete, tidying failed; the next run tidies" >&2
unlock
echo "initcompat: applied 27 change(s)"
echo initcompat-apply-complete
}
initcompat_apply
