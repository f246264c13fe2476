#!/bin/sh
# upstart-tree.sh TREE BUILT: makes the debootstrapped bookworm TREE (with
# Debian 12's insserv startpar sysv-rc initscripts installed) boot with
# the real Upstart as PID 1, as ../shared/upstart/README.md measured it:
# Upstart's programs over systemd-sysv's links (merged /usr: /usr/sbin),
# its libraries, its D-Bus policy, Ubuntu's upstart-job, systemd moved
# aside, and two jobs in /etc/init: an rc-sysinit started on startup that
# runs rcS then telinit 2 (Ubuntu's waits for mountall's events, which
# Debian lacks) and Ubuntu's rc.conf.
set -eu
tree=${1:?usage: upstart-tree.sh TREE BUILT}
built=${2:?usage: upstart-tree.sh TREE BUILT}

for f in "$built"/usr/sbin/*; do
	# rm first: cp onto systemd-sysv's symlinks would write through them.
	rm -f -- "$tree/usr/sbin/${f##*/}"
	cp -p -- "$f" "$tree/usr/sbin/"
done
cp -P -p -- "$built"/usr/lib/libnih.so.1* "$built"/usr/lib/libnih-dbus.so.1* "$built"/usr/lib/libupstart.so.1* "$tree/usr/lib/"
install -D -m 0644 "$built/etc/dbus-1/system.d/Upstart.conf" "$tree/etc/dbus-1/system.d/Upstart.conf"
install -D -m 0755 "$built/lib/init/upstart-job" "$tree/usr/lib/init/upstart-job"
if [ -e "$tree/usr/lib/systemd/systemd" ]; then
	mv -- "$tree/usr/lib/systemd/systemd" "$tree/usr/lib/systemd/systemd.aside"
fi
mkdir -p "$tree/etc/init"
cp -- "$built/share/conf/rc.conf" "$tree/etc/init/rc.conf"
cat >"$tree/etc/init/rc-sysinit.conf" <<'JOB'
# rc-sysinit - the System V boot, then the default runlevel
start on startup
task
console output
script
	/etc/init.d/rcS
	exec telinit 2
end script
JOB
# Upstart reads no /etc/inittab; the runlevel scripts are sysv-rc's.
chroot "$tree" /usr/sbin/update-rc.d ssh defaults >/dev/null 2>&1 || true
