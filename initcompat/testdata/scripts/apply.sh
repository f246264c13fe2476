# initcompat apply: nothing touches the image before the last line.
set -u
# shellcheck shell=sh
# The library the apply, the recovery and the verify scripts share: the
# lock, and the recovery from a journal (see apply.go for the protocol).
# Every list is read whole by one cat and split on newlines (paths never
# hold one), and every command takes its paths in batches: a journal of
# any length costs a bounded number of processes, never a read(2) a byte.
# The paths are the Go constants JournalPath, LockPath, BaselinePath and
# the stage and aside names (scripts_embed_test.go checks they agree).
R=${INITCOMPAT_ROOT:-}
J="$R/var/lib/.initcompat-journal"
L="$R/var/lib/.initcompat-lock"
B="$R/var/lib/.initcompat-verify-baseline"
NL='
'
exists() { [ -e "$1" ] || [ -L "$1" ]; }
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
# bulk FUNCTION LIST calls FUNCTION with the lines of LIST as its
# arguments, at most 512 at a time (far below any ARG_MAX).
bulk() {
	b_fn=$1 b_list=$2 b_ifs=$IFS
	IFS=$NL
	set -f
	set --
	for b_p in $b_list; do
		set -- "$@" "$b_p"
		if [ $# -ge 512 ]; then
			"$b_fn" "$@" || { IFS=$b_ifs; set +f; return 1; }
			set --
		fi
	done
	IFS=$b_ifs
	set +f
	[ $# -eq 0 ] || "$b_fn" "$@"
}
rm_f() { rm -f -- "$@"; }
rm_rf() { rm -rf -- "$@"; }
rmdir_quiet() { rmdir -- "$@" 2>/dev/null || true; }
# put_back moves set-aside paths of one directory back: "DIR" then the
# aside names of its children.
put_back() { d=$1 && shift && mv -f -t "$d" -- "$@"; }
# j_kind KIND PREFIX prints the paths of the journal's KIND lines (j_all
# holds the journal), each after PREFIX. Lists are built by printing, never
# by appending to a variable (which copies it each time).
j_kind() {
	k_ifs=$IFS
	IFS=$NL
	set -f
	for k_l in $j_all; do
		case $k_l in "$1 "*) printf '%s\n' "$2${k_l#"$1" }" ;; esac
	done
	IFS=$k_ifs
	set +f
}
# committed NEW... prints the paths the commit put in place: those whose
# staged twin is gone (the rest go with the stage directory).
committed() {
	c_ifs=$IFS
	IFS=$NL
	set -f
	for c_p in $1; do
		if ! exists "$R${c_p%/*}/.initcompat-stage/${c_p##*/}" && exists "$R$c_p"; then printf '%s\n' "$R$c_p"; fi
	done
	IFS=$c_ifs
	set +f
}
# set_aside ASIDE... (sorted) prints, for each path still set aside, an
# "@DIR" line when its directory changes, then its aside name.
set_aside() {
	r_dir=""
	r_ifs=$IFS
	IFS=$NL
	set -f
	for r_p in $1; do
		r_a=$R${r_p%/*}/.initcompat-old/${r_p##*/}
		exists "$r_a" || continue
		if [ "${r_p%/*}" != "$r_dir" ]; then
			printf '@%s\n' "$R${r_p%/*}"
			r_dir=${r_p%/*}
		fi
		printf '%s\n' "$r_a"
	done
	IFS=$r_ifs
	set +f
}
# restore_groups LIST runs put_back for each "@DIR" line and the names
# after it, in batches.
restore_groups() {
	g_ifs=$IFS g_list=$1
	IFS=$NL
	set -f
	set --
	for g_p in $g_list; do
		case $g_p in
		@*)
			if [ $# -gt 1 ]; then put_back "$@" || { IFS=$g_ifs; set +f; return 1; }; fi
			set -- "${g_p#@}"
			;;
		*)
			set -- "$@" "$g_p"
			if [ $# -ge 512 ]; then
				put_back "$@" || { IFS=$g_ifs; set +f; return 1; }
				set -- "$1"
			fi
			;;
		esac
	done
	IFS=$g_ifs
	set +f
	if [ $# -gt 1 ]; then put_back "$@"; fi
}
# recover rolls an interrupted apply back, or finishes a complete one.
recover() {
	rm -f -- "$J.new"
	exists "$J" || return 0
	j_all=$(cat -- "$J") || return 1
	state=$(j_kind state "")
	case $state in
	begin | commit | done) ;;
	*)
		echo "initcompat: $J is not a journal this initcompat can read; check the paths it lists and move it away" >&2
		return 1
		;;
	esac
	if [ "$state" = commit ]; then
		bulk rm_f "$(committed "$(j_kind new "")")" || return 1
	fi
	if [ "$state" != "done" ]; then
		# Shallowest first: a directory set aside comes back before its files.
		restore_groups "$(set_aside "$(j_kind aside "" | sort)")" || return 1
	fi
	bulk rm_rf "$(j_kind stagedir "$R" && j_kind asidedir "$R")" || return 1
	if [ "$state" != "done" ]; then
		bulk rmdir_quiet "$(j_kind mkdir "$R" | sort -r)"
	fi
	j_all=""
	rm -f -- "$J" "$B" "$B.units" "$B.after" || return 1
	if [ "$state" = "done" ]; then what=finished; else what="rolled back"; fi
	echo "initcompat-recovered $what an apply interrupted in its $state phase" >&2
}
# shellcheck shell=sh
# The apply's code (after lib.sh). Its data follows it in the stream:
# here-documents, each of at most 1 MiB, that put() appends to files in a
# private temporary directory (what to check and do, the journal, the
# payload), then the last line calls initcompat_apply with the sha256 of
# the payload and the word initcompat-end. Nothing before that line touches the image: a stream cut
# anywhere leaves only the temporary directory, which the EXIT trap
# removes. The shell never holds more than one chunk; the steps are sourced
# from a file, parsed a command at a time, never as one function.
umask 022
T=$(mktemp -d "${TMPDIR:-/tmp}/initcompat.XXXXXX") || {
	echo "initcompat: cannot make a directory for the script's data (mktemp -d)" >&2
	exit 1
}
trap 'rm -rf -- "$T"' EXIT
trap 'exit 129' HUP INT TERM PIPE
{ : >"$T/payload" && : >"$T/journal" && : >"$T/ops" && : >"$T/sums"; } || exit 1
# put FILE appends one chunk of the data to FILE.
put() { cat >>"$T/$1" || exit 1; }
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
# isfile PATH SHA256: the content is compared by checked(), one sha256sum
# for every file (a name with a backslash, which sha256sum -c escapes, is
# hashed on its own).
isfile() {
	{ [ -f "$1" ] && [ ! -L "$1" ]; } || changed "$1" "no longer a regular file"
	case $1 in
	*\\*) [ "$(sha256sum <"$1" | cut -c1-64)" = "$2" ] || changed "$1" "its content differs" ;;
	*) printf '%s  %s\n' "$2" "$1" >>"$T/sums" || fail "cannot write $T/sums" ;;
	esac
}
checked() {
	[ -s "$T/sums" ] || return 0
	c_out=$(LC_ALL=C sha256sum -c --quiet --strict -- "$T/sums" 2>&1) && return 0
	c_p=${c_out%%"$NL"*}
	changed "${c_p%: FAILED*}" "its content differs"
}
islink() { { [ -L "$1" ] && [ "$(readlink -- "$1")" = "$2" ]; } || changed "$1" "no longer a symlink to $2"; }
isdir() {
	if [ -L "$1" ]; then fail "$1 is a symlink (to $(readlink -- "$1")); initcompat writes only into real directories of the image"; fi
	[ -d "$1" ] || changed "$1" "no longer a directory"
}
# journal STATE writes the journal in STATE: two processes, whatever its
# length.
journal() {
	{ { printf 'initcompat-journal 1\nstate %s\n' "$1" && cat -- "$T/journal"; } >"$J.new" && mv -f -- "$J.new" "$J"; } ||
		fail "cannot write the journal $J"
}
initcompat_apply() {
	if [ "${2:-}" != initcompat-end ] || [ "$1" != "$(sha256sum <"$T/payload" | cut -c1-64)" ]; then
		echo "the apply script arrived cut short or damaged: it changed nothing" >&2
		exit 1
	fi
	if [ -z "$R" ] && [ "$(id -u)" != 0 ]; then
		echo "initcompat: writing the image needs root, and this shell runs as $(id -un); set use_sudo = true or an execute_command that becomes root" >&2
		exit 77
	fi
	lock
	trap 'echo "initcompat: interrupted" >&2; recover; unlock; exit 129' HUP INT TERM PIPE
	if exists "$J"; then fail "an apply interrupted since the snapshot left $J; run the build again (it recovers first)"; fi
	# shellcheck source=/dev/null
	. "$T/ops"
}
put payload <<'INITCOMPAT_DATA'
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
INITCOMPAT_DATA
put journal <<'INITCOMPAT_DATA'
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
INITCOMPAT_DATA
put ops <<'INITCOMPAT_DATA'
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
checked
journal begin
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
base64 -d -- "$T/payload" | '/usr/bin/gzip' -dc | tar -x -m -p -P -f - -C "${R:-/}" || fail 'cannot unpack the staged files'
journal commit
mv -f -t "$R"'/etc/init.d' -- "$R"'/etc/init.d/.initcompat-stage/svc00000' "$R"'/etc/init.d/.initcompat-stage/svc00001' || fail 'cannot rename the staged files into /etc/init.d'
mv -f -t "$R"'/etc/rc0.d' -- "$R"'/etc/rc0.d/.initcompat-stage/K01svc00000' "$R"'/etc/rc0.d/.initcompat-stage/K01svc00001' || fail 'cannot rename the staged files into /etc/rc0.d'
mv -f -t "$R"'/etc/rc1.d' -- "$R"'/etc/rc1.d/.initcompat-stage/K01svc00000' "$R"'/etc/rc1.d/.initcompat-stage/K01svc00001' || fail 'cannot rename the staged files into /etc/rc1.d'
mv -f -t "$R"'/etc/rc2.d' -- "$R"'/etc/rc2.d/.initcompat-stage/S01svc00000' "$R"'/etc/rc2.d/.initcompat-stage/S01svc00001' || fail 'cannot rename the staged files into /etc/rc2.d'
mv -f -t "$R"'/etc/rc3.d' -- "$R"'/etc/rc3.d/.initcompat-stage/S01svc00000' "$R"'/etc/rc3.d/.initcompat-stage/S01svc00001' || fail 'cannot rename the staged files into /etc/rc3.d'
mv -f -t "$R"'/etc/rc4.d' -- "$R"'/etc/rc4.d/.initcompat-stage/S01svc00000' "$R"'/etc/rc4.d/.initcompat-stage/S01svc00001' || fail 'cannot rename the staged files into /etc/rc4.d'
mv -f -t "$R"'/etc/rc5.d' -- "$R"'/etc/rc5.d/.initcompat-stage/S01svc00000' "$R"'/etc/rc5.d/.initcompat-stage/S01svc00001' || fail 'cannot rename the staged files into /etc/rc5.d'
mv -f -t "$R"'/etc/rc6.d' -- "$R"'/etc/rc6.d/.initcompat-stage/K01svc00000' "$R"'/etc/rc6.d/.initcompat-stage/K01svc00001' || fail 'cannot rename the staged files into /etc/rc6.d'
mv -f -t "$R"'/var/lib/initcompat' -- "$R"'/var/lib/initcompat/.initcompat-stage/manifest.json' || fail 'cannot rename the staged files into /var/lib/initcompat'
journal done
trap '' HUP INT TERM PIPE
recover 2>/dev/null || echo "initcompat: warning: the image is complete, tidying failed; the next run tidies" >&2
unlock
echo "initcompat: applied 27 change(s)"
echo initcompat-apply-complete
INITCOMPAT_DATA
initcompat_apply 2c59dd743d31c3b43784e9242ab46ff979f8dc139eeda7d10e1b6a1f72833695 initcompat-end
