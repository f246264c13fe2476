#!/bin/sh
# build-upstart.sh SRC DEST: builds libnih 1.0.4 and Upstart 1.13.2 from
# SRC/libnih.tar.xz and SRC/upstart.tar.xz (see ../shared/upstart/README.md)
# and installs them into the staging root DEST as an image holds them
# (prefix /usr, /etc/init, /sbin/init as DEST/usr/sbin/init). The e2e
# harness calls it once and caches DEST; nothing built here goes into the
# project. On the host the programs run with LD_LIBRARY_PATH=DEST/usr/lib.
#
# Debian 12's toolchain needs three changes, all measured (README there):
# -fcommon for libnih (GCC 10 defaults to -fno-common and nih-dbus-tool
# then fails to link), autoreconf for Upstart (its Makefile.in files are
# stale, Ubuntu's packaging does the same) and <sys/sysmacros.h> where
# major/minor/makedev are used (glibc 2.28 moved them there).
set -eu

src=${1:?usage: build-upstart.sh SRC DEST}
dest=${2:?usage: build-upstart.sh SRC DEST}
work=$(mktemp -d "${TMPDIR:-/tmp}/initcompat-upstart.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
jobs=${INITCOMPAT_BUILD_JOBS:-2}

tar -xJf "$src/libnih.tar.xz" -C "$work"
tar -xJf "$src/upstart.tar.xz" -C "$work"

cd "$work/libnih"
autoreconf -fi >/dev/null 2>&1
./configure --prefix=/usr --sysconfdir=/etc CFLAGS="-g -O2 -fcommon" >/dev/null
make -j"$jobs" >/dev/null
make install DESTDIR="$dest" >/dev/null
# The .la and .pc files name /usr, which on the host is not where libnih
# is (a pkg-config sysroot would move dbus-1's include path too).
rm -f "$dest"/usr/lib/libnih*.la
sed "s|^prefix=/usr\$|prefix=$dest/usr|" "$dest/usr/lib/pkgconfig/libnih.pc" >"$work/libnih.pc"
sed "s|^prefix=/usr\$|prefix=$dest/usr|" "$dest/usr/lib/pkgconfig/libnih-dbus.pc" >"$work/libnih-dbus.pc"

PATH=$dest/usr/bin:$PATH
PKG_CONFIG_PATH=$work
LD_LIBRARY_PATH=$dest/usr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PATH PKG_CONFIG_PATH LD_LIBRARY_PATH

cd "$work/upstart"
for f in init/main.c init/system.c init/tests/test_job_process.c; do
	grep -q 'sys/sysmacros.h' "$f" ||
		sed -i 's|^#include <sys/types.h>$|#include <sys/types.h>\n#include <sys/sysmacros.h>|' "$f"
done
autoreconf -fi >/dev/null 2>&1
./configure --prefix=/usr --sysconfdir=/etc \
	--disable-cgroups --disable-dconf-bridge --disable-abi-check >/dev/null
make -j"$jobs" >/dev/null
make install DESTDIR="$dest" >/dev/null
# Ubuntu's packaging: the init.d shim and the rc job the booted tests use.
mkdir -p "$dest/lib/init" "$dest/share/conf"
cp debian/upstart-job "$dest/lib/init/upstart-job"
cp conf/rc.conf "$dest/share/conf/rc.conf"
"$dest/usr/sbin/init" --version | head -n 1
