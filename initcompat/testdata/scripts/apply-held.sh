# initcompat apply: nothing runs before the last line.
initcompat_apply() {
set -u
umask 022
if [ -z "${INITCOMPAT_ROOT:-}" ] && [ "$(id -u)" != 0 ]; then
	echo "initcompat: writing the image needs root, and this shell runs as $(id -un); set use_sudo = true or an execute_command that becomes root" >&2
	exit 77
fi
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
journal() { cat >"$J.new" && mv -f -- "$J.new" "$J" || fail "cannot write the journal $J"; }
lock
trap 'echo "initcompat: interrupted" >&2; recover; unlock; exit 129' HUP INT TERM PIPE
if exists "$J"; then fail "an apply interrupted since the snapshot left $J; run the build again (it recovers first)"; fi
payload() {
	base64 -d <<'INITCOMPAT_PAYLOAD' | '/usr/bin/gzip' -dc
H4sIAAAAAAAA/+xb728iuxXN18xfcR+gpvsUwJ6fgWgrtcq2jaqmq5fXfnlarYzHA27ATm1DNgr5
3yvPQAIJYUkCw6yezxeC7bm+PmfmXM+EYYa2ueCmlbZb9pPK0TUxTW1In7UPtgOEEEoQyj/R88/n
f+PYT/ABRFuafy3G2hB1gJCS0qwb973+p4v7QbBWfz2h21hMrn8UvaS/HwfBE/2TEKMDKIXE37n+
9Z/aPS7aeuDV4Z9EkD5LoXcLj6cC9OUwZeIUzICBYN8M9MZ8mIJiN4obpsEMuIaMD9kxpBKENMBS
blpevV6Hv3z62/kFnF+c/wrnF3/9l1eHz0pOeMp0Fx4wP8u8OvzC/jfmiqXNS0OUycc0BDM3Ul1B
Q7GRNOxrppcHyusi1uqBZywj46FZCAg+BBBCtNQ5DwIIMMReHS4HUpnmGdNU8WvDpeiCZmrCKQOU
H7nQUeDyVv8n5w0Ite0aMqkeFgd9CUaCvtWGjdIj/dDRmoU99uqwAlqCGRAD4+uUGNZUtJUezzM5
Bi4m8qpoBSLS1SFoJpp5XpQIoFIYJYfATWueDHCj2TAD3hdSMb06SK5yseZucSoQwycMxjbwgOi8
TZOR7RixQv1PF2cL2nuf//zr3z+2x1q1dY+Lbv5X/kfxtceFZ6N9PHpKzZHn1UGnX3tSGpb+MfjQ
fUxdw+fzM8AgxfAWbgZMFJmmXDFqpLoF9o1ro1twLoB4daADeyGDVEAE8BHps9n5bAZMMRtPPKhk
BSP66thSC9YmDBd9O9CrQ0rYSArIlBxBfuSNHNurYiyAG5Bjo3nKLLM5Qy2PZ/Ab/ATNFNpqLNqz
GWaf8CW/vIR3yOhAQq2BllZoryk1FsLObuc6XWo5atzhbvP+KD/dGna2GvzpD753SIlmUCt6a8CF
d6gNMWP9wXJiIITTU9skr2EKRt02FcvXOOtGeffPs284/8Y0oV7GPe9Z6PxImMIs3CzUk8DeYbEo
aoZQa+Aa1Ip0vcPTU0+xoSTph0UKGg8nl5Dw6Rujv+RjPp7CWLP5HLPF5lkGeaRMKsqaD/Ee51zI
ZWnqGS2LQ5tNIZvXpM8UFL1LB/z8kOa/NemzLjQQ3OVxp5aA6WyS6cKE0yKf6WJy0yL0/eIS/HyC
nOhS/H+T+o/fOceb6j929b8MVKf+4x+l/uM31H/8Uv3Hrv6/VP+xq/+u/rv6v1vY+q8o2uXjn7c8
/0HYd89/ysA6/f+B8FaeAOX6J8nm+vs+SvAB+K3WfG+6pSdRK+D030D/990BvEn/YJX+770TWQGn
f1tRXD3/D5z/l4F1+u/V/33n/2VgM/334P+h8/8yUOjvV8//Q+f/ZWCd/pf783+MVu7/nP9vG5vp
X7r/YxQ5/y8Dhf5B9fw/cv5fBtbpv1f/X7n/c/6/bWym/x78P3b+XwYK/cPq+X/s/L8MrNN/r/6/
cv/n/H/b2Ez/Pfh/4vy/DBT6R9Xz/8T5fxlYp/9e/X/l/s/5/7axmf7l+z9Gzv/LQKF/XDn/95Hz
/zKwTv+9/v935f7P+f+2sZn+e9j/r/z9l/P/bWNCVHvIe+1H8bdfCF7t/z5CgXv+Uwo20n9EBM+Y
Nq3/aileP4flIw7Dl/SPkiR+ev1HiXv/txTc1fpMMEWMVLUu1B6lrx1DbcKU5lLYjuItINvIhFGc
6VoXfvPuatfEDGx/e+FFsnmxtqOvuEhtf8aHzH7XA+JHsW1JOolPO4QGGfaDhNKTzsnJSYIT1sMk
7Pixf5JFaZqGYSfoRZ0sQShMghiHOEoiEvZIHq14QcSGW5xUD/jItg11r6lY8S5I7f54fbp4fbpR
jCMUIRqyTg/HcRqkrOOjDgl8dIKoH0YZTcIOxhRFCGWdgPXSlHY6NEhDQk+yzup08SvSzX+mu5hk
ytX7SSh+/Luw1VucQd+Ohlxc2SZDVJ8Z2/h8V7b9LPDrs8DbYBjvhGFcCYZxJRj2d8Kw30oXH1ft
ieHlLPbFcLAThoNKMBxUguFwJwyHlWA4rATD0U4YjirBcFQJhuOdMBxXotLFe650E6JWcTs7cH43
9fwgeyf25gPby3v378bwvtyX84qpg4NDRfH/AAAA//8F7mnfAFAAAA==
INITCOMPAT_PAYLOAD
}
[ "$(payload | sha256sum | cut -c1-64)" = fea273ca8ac846b8767d9e50f92211c1fa72a46977dd349b994b40773e192f03 ] || fail 'the payload arrived damaged'
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
analyzed >"$B" || fail 'cannot record what systemd-analyze verify says before the apply'
journal <<'INITCOMPAT_JOURNAL'
initcompat-journal 1
state begin
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
new /etc/init.d/svc00000
new /etc/init.d/svc00001
new /etc/rc0.d/K01svc00000
new /etc/rc0.d/K01svc00001
new /etc/rc1.d/K01svc00000
new /etc/rc1.d/K01svc00001
new /etc/rc2.d/S01svc00000
new /etc/rc2.d/S01svc00001
new /etc/rc3.d/S01svc00000
new /etc/rc3.d/S01svc00001
new /etc/rc4.d/S01svc00000
new /etc/rc4.d/S01svc00001
new /etc/rc5.d/S01svc00000
new /etc/rc5.d/S01svc00001
new /etc/rc6.d/K01svc00000
new /etc/rc6.d/K01svc00001
new /var/lib/initcompat/manifest.json
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
initcompat-journal 1
state commit
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
new /etc/init.d/svc00000
new /etc/init.d/svc00001
new /etc/rc0.d/K01svc00000
new /etc/rc0.d/K01svc00001
new /etc/rc1.d/K01svc00000
new /etc/rc1.d/K01svc00001
new /etc/rc2.d/S01svc00000
new /etc/rc2.d/S01svc00001
new /etc/rc3.d/S01svc00000
new /etc/rc3.d/S01svc00001
new /etc/rc4.d/S01svc00000
new /etc/rc4.d/S01svc00001
new /etc/rc5.d/S01svc00000
new /etc/rc5.d/S01svc00001
new /etc/rc6.d/K01svc00000
new /etc/rc6.d/K01svc00001
new /var/lib/initcompat/manifest.json
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
trap '' HUP INT TERM PIPE
unlock
echo "initcompat: committed 27 change(s); verifying"
echo initcompat-apply-held
}
initcompat_apply
