# Run a program of the Packer host with an image as its root directory.
#
# Run by internal/confine as
#   unshare --mount --propagation private -- sh -c SCRIPT initcompat-confine \
#     MODE IMAGE WORK INTERP SETPRIV PROGRAM LIBDIR... -- ARG...
# in a mount namespace of its own: every mount below goes when the last
# process in it ends, and none is seen outside it.
#
# The image (a root_dir) is untrusted: an absolute link in it must resolve
# inside it, not on this host (issue 34: systemd-analyze verify --root
# followed /etc/systemd/system/cloud-final.service -> /root/... on the
# host). So the program runs chrooted into a view of the image:
#   - an overlay whose lower layer is a read-only bind of IMAGE alone (not
#     the mounts below it: amazon-chroot mounts the host's /proc, /sys and
#     /dev there) and whose upper layer is a tmpfs: nothing is written into
#     the image, and the view is nodev (the image's device nodes open
#     nothing), nosuid and noexec (nothing of the image is run or mapped
#     executable, not even a library a dlopen would find there; so
#     access(X_OK) fails in it, and systemd-analyze verify of a unit
#     itself says its ExecStart= is "not executable: Permission denied":
#     initcompat verifies default.target, which runs nothing);
#   - without the image's FIFOs (MODE run): a link to one would hold the
#     program until its timeout; they are whited out in the upper layer;
#   - with empty tmpfs on /dev (but for /dev/null, which masks link to),
#     /proc, /sys and /tmp, and a real /run;
#   - the program, its ELF interpreter, setpriv and the directories of
#     their libraries bound read-only into a directory of a random name
#     that the image cannot have named in advance. The interpreter loads
#     the program with only those directories and no ld.so.cache: nothing
#     of the image is loaded. setpriv drops every capability before the
#     program starts.
# A line "initcompat-confined" on standard output says the view is made;
# what the program prints follows it. A failure before says why on
# standard error and exits 125.
#
# MODE probe makes the same view but for the FIFOs (a probe runs the
# program with --version and reads nothing of the image).

set -u

fail() {
	printf 'initcompat: cannot confine %s to %s: %s\n' "$program" "$image" "$*" >&2
	exit 125
}

[ "$#" -ge 7 ] || { printf 'initcompat: confine.sh: too few arguments\n' >&2; exit 125; }
mode=$1 image=$2 work=$3 interp=$4 setpriv=$5 program=$6
shift 6
libs=
n=0
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
	libs="$libs $n"
	eval "lib_$n=\$1"
	n=$((n + 1))
	shift
done
[ "$#" -gt 0 ] || fail "no -- before the program's arguments"
shift

# The work directory is the caller's, empty; a tmpfs of this namespace
# holds every directory made below, so the host sees nothing of them.
mount -t tmpfs -o mode=0700,nosuid,nodev initcompat "$work" || fail "mount tmpfs on $work"
cd "$work" || fail "cd $work"
mkdir lower upper ovl root || fail "mkdir in $work"
# Bind the image alone (mount --bind is not recursive), then make that
# bind read-only: a bind's flags are set by a remount of it.
mount --bind "$image" lower || fail "mount --bind $image"
mount -o remount,bind,ro,nosuid,nodev,noexec lower || fail "remount the image read-only"
# Relative paths: the overlay's options cannot hold a comma or a colon,
# and a TMPDIR may.
mount -t overlay -o lowerdir=lower,upperdir=upper,workdir=ovl,nosuid,nodev,noexec initcompat root ||
	fail "mount the overlay (lowerdir the image)"
root=$work/root

if [ "$mode" = run ]; then
	# find does not follow links (-P) nor leave the overlay (-xdev); each
	# path it prints has real directories only, and rm unlinks the FIFO
	# itself, whiting it out in the upper layer.
	find "$root" -xdev -type p -exec rm -f -- {} + || fail "removing the image's FIFOs from the view"
fi

# Directories of the view the program needs as they should be, whatever
# the image has there: a link or a file is replaced (in the upper layer)
# by a directory; the test of each name does not follow it.
for d in run dev proc sys tmp; do
	if [ -L "$root/$d" ] || { [ -e "$root/$d" ] && [ ! -d "$root/$d" ]; }; then
		rm -f -- "$root/$d" || fail "replacing /$d"
	fi
	[ -d "$root/$d" ] || mkdir -- "$root/$d" || fail "making /$d"
	[ "$d" = run ] && continue
	mount -t tmpfs -o mode=0755,size=1m,nosuid,nodev,noexec initcompat "$root/$d" || fail "mount tmpfs on /$d"
done
: >"$root/dev/null" || fail "making /dev/null"
mount --bind /dev/null "$root/dev/null" || fail "mount --bind /dev/null"

host=$(mktemp -d "$root/.initcompat-host.XXXXXXXXXXXX") || fail "mktemp in the view"
in=${host#"$root"}
bind() { # bind FROM NAME: FROM of the host, read-only, at $host/NAME
	if [ -d "$1" ]; then
		mkdir -- "$host/$2" || fail "mkdir $host/$2"
	else
		: >"$host/$2" || fail "making $host/$2"
	fi
	mount --bind "$1" "$host/$2" || fail "mount --bind $1"
	mount -o remount,bind,ro,nosuid,nodev "$host/$2" || fail "remount $1 read-only"
}
bind "$program" program
bind "$setpriv" setpriv
path=
for i in $libs; do
	eval "bind \"\$lib_$i\" lib$i"
	path="$path${path:+:}$in/lib$i"
done

[ -z "$interp" ] || bind "$interp" ld.so
chroot=$(command -v chroot) || fail "no chroot on this host"

printf 'initcompat-confined\n'
# The environment is this one, set whole: nothing of the caller's reaches
# the program. No environment generators run (systemd runs those from the
# root it sees, the image's, with --root or without: a path of the random
# directory that holds none).
if [ -n "$interp" ]; then
	exec env -i LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		SYSTEMD_ENVIRONMENT_GENERATOR_PATH="$in/none" SYSTEMD_GENERATOR_PATH="$in/none" \
		"$chroot" "$root" "$in/ld.so" --inhibit-cache --library-path "$path" "$in/setpriv" \
		--no-new-privs --bounding-set=-all --inh-caps=-all -- \
		"$in/ld.so" --inhibit-cache --library-path "$path" "$in/program" "$@"
fi
exec env -i LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	SYSTEMD_ENVIRONMENT_GENERATOR_PATH="$in/none" SYSTEMD_GENERATOR_PATH="$in/none" \
	"$chroot" "$root" "$in/setpriv" --no-new-privs --bounding-set=-all --inh-caps=-all -- "$in/program" "$@"
