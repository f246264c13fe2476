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
H4sIAAAAAAAA/+ybbW8auRbH8zbzKU4B3dxWAex5DES90l2luxutNls13X1TVZWZ8YA3YGdtQxqF
fPeVZwYyBNKkbRhmtR5eDPjh+Pj/8/HJgEN13GWc6U7S7Zh7LCaXRLeVJkPa3XueCyGEIoT2UH7d
v6+/x6Eb4T0IFga2eU2VJnIPISmEXpRtuh6rXzpf3BflNb8MfxmjbeL/Fv4Iu5Z/dfxx/fh7ln91
/N368fct/+r4e/XjH1j+1fH368c/tPyr4x/Uj39k+VfHP6wdfxdZ/lXwnxHZHbNB9w7+8y+Er+bv
IuTZ/b+y/f/B73/ULH6OyRgTURCsSVTc3dDz7sV/5GO0B8jy3zr/5ovugPGuGjlN+JVwMqQJDK7h
binAUIwTyo9Bjyhw+lnDYMrGCUh6JZmmCvSIKUjZmB5CIoALDTRhuuM0m0344c1Pp2dwenb6Hk7P
fvzNacJbKWYsoaoPy2uxypwmvKN/TZmkSftcE6mzNi1O9ZWQF9CSdCI0/ZSq1YbiMmv3QMMTmpLp
WJcMggse+BCsVC6MAAIModOE85GQun1CVSzZpWaC90FROWMxBZT1LFVkHeH8Wv2R6QYkNh0UpEIu
JwdDAVqAulaaTpIDtazoFGYPneZCkPKlBOgR0TC9TIimbRl3ksOFJ4fA+Exc5KVAeLLZRJzyduZX
TDjEgmspxsB0Z+EMMK3oOAU25EJStdlIRjmfcz9fCkSzGYWpMTwiZhlQUGRCgZMJzem/OTspsXfe
/v/9z6+7UyW7asB4P3uXvck/Dhh3jLXXB/elOXCcJqjk00AITZP/ei/7d64reHt6AhgEH1/D1Yjy
fD0mTNJYC3kN9DNTWnXglANxmhCPpBAahATCgU3IkBbrWY+opMYeX1IywIi6ODTSgtkmNONDM1Gn
CQmhE8EhlWICWc8rMTVRMeXANIipViyhRtlMoY7DUvgAL6CdQFdOebcYobjDxyy8uLNP45GARgut
zNDElJxybkY3Yx2vlBy0bnC/fXuQLbeWGa0B//uP6+zHRFFo5LUNYNzZV5roqXppNNHgw/GxKRKX
MActr9uSZnMsqlFW/ar4hLNPVJHYSZnjrJnOesIcCnOFqXuGnf18UrEeQ6OFG9DI3XX2j48dSceC
JC/LErSWi4sLePOZxu+yNq+PYaooFFaLyWZeepmlVMiYtpf27sYs+bIydCFLuWm7zUX7kgypNOD1
VK10eLV083dFhrQPLQQ3md25EWBeDDIvDTjP/ZmXnZvnpm/LU3CzATKhix169/kfLxpXmf+xzf//
rvyP/yn5H39D/scP5X9s8/9D+R/b/G/zv83/28//D/3+/wvCRSh+XzozBqIoWkuRxX39vesic/7D
7XQWf5s8ix82/6/n/6fxx9Xz9zbx/96/RC3/zfzxI/xR9fxdG//VxT+uX/z7Nv6ri//N53/Odxf/
GG3c/5HlvxP+lcc/RoGN/+ri33uEP6qe/8b9H1n+O+G/g/gPbfxXF//+I/xR9fw37v/I8t8J/x3E
f2Tjv7r4Dx7hj6rnv3H/R5b/TvhXH/8YbeKP7fnfCs//7vT7v437P7L8d8K/+vhH2MZ/FfH/pPPf
E8JZSpXu/KkEX/R8+mUECX1/TaLiHkRReJ9/ENnzv5Wc/71pDCmnkmghG31o3KFvHEJjRqVigpuK
/BSQKaRcS0ZVow8fnJvGJdEjU98tHSQrghWZ1heMJ6beHBA2n9WIuEFoSqJe5MY9Enspdr0ojo96
R0dHEY7oABO/54buURokSeL7PW8Q9NIIIT/yQuzjIAqIPyCZtfzsjDFXHlSN2MSUjdWgLWl+FrRx
e/hld/GX3Q1CHKAAxT7tDXAYJl5Cey7qEc9FRyh2/SCNI7+HcYwChNKeRwdJEvd6sZf4JD5Ke5vd
xV/hbvYzbdnJhMnvFyGzWk715RHU9WTM+IUp0kQOqTaF61n5+b3AX+8Ffg6F8VYUxrVQGNdCYXcr
CpsfMEqPqztSeNWLXSnsbUVhrxYKe7VQ2N+Kwn4tFPZroXCwFYWDWigc1ELhcCsKh7XIdKteVK/w
jMhN2hYdF09T653Mf+J+c8fSI9yTbDgfb50qnzTsy77sq26vvwcApHHE7gBQAAA=
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
journal <<'INITCOMPAT_JOURNAL'
initcompat-journal 1
state done
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
trap '' HUP INT TERM PIPE
recover 2>/dev/null || echo "initcompat: warning: the image is complete, tidying failed; the next run tidies" >&2
unlock
echo "initcompat: applied 27 change(s)"
echo initcompat-apply-complete
}
initcompat_apply
