package inspect

import (
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// Watches are what inspection reads, shared by every snapshot source; the
// planner's registry adds what the shims read and write
// (planner.Watches). A path below a symlinked directory is skipped by both
// sources; the symlink itself is recorded (it is in the list too), and the
// real directory it points at is captured under its own name.
var Watches = append([]tree.Watch{
	// What the image is and how it boots.
	{Path: "etc/os-release", Content: true},
	{Path: "usr/lib/os-release", Content: true},
	{Path: "etc/inittab", Content: true},
	// Whether the next boot is a first one (machine-id(5)).
	{Path: "etc/machine-id", Content: true},
	{Path: "var/lib/dbus/machine-id", Content: true},
	// systemd unit search path.
	{Path: "etc/systemd/system", Content: true},
	{Path: "run/systemd/system", Content: true},
	{Path: "usr/local/lib/systemd/system", Content: true},
	{Path: "usr/lib/systemd/system", Content: true},
	{Path: "lib/systemd/system", Content: true},
	// SysV and Upstart.
	{Path: "etc/init.d", Content: true},
	{Path: "etc/rc0.d", Content: true},
	{Path: "etc/rc1.d", Content: true},
	{Path: "etc/rc2.d", Content: true},
	{Path: "etc/rc3.d", Content: true},
	{Path: "etc/rc4.d", Content: true},
	{Path: "etc/rc5.d", Content: true},
	{Path: "etc/rc6.d", Content: true},
	{Path: "etc/rcS.d", Content: true},
	{Path: "etc/rc.d", Content: true},
	{Path: "etc/init", Content: true},
	// Which files the OS packages own (Debian family).
	{Path: "var/lib/dpkg/info", Pattern: "*.list", Content: true},
	// Directories initcompat writes into or below: whether they exist.
	{Path: "etc"}, {Path: "var"}, {Path: "var/lib"}, {Path: "usr"}, {Path: "usr/bin"},
	// Directories that are symlinks on merged-/usr and RHEL-like images.
	{Path: "bin"}, {Path: "sbin"}, {Path: "lib"}, {Path: "lib64"}, {Path: "usr/sbin"},
	// Init and service tools.
	{Path: "sbin/init"},
	{Path: "sbin/initctl"},
	{Path: "lib/init/upstart-job"},
	// Where they are on merged /usr (/sbin -> usr/sbin): not how Ubuntu's
	// Upstart images look, but an Upstart installed there is one.
	{Path: "usr/sbin/init"},
	{Path: "usr/sbin/initctl"},
	{Path: "usr/lib/init/upstart-job"},
	{Path: "lib/systemd/systemd"},
	{Path: "usr/lib/systemd/systemd"},
	{Path: "lib/systemd/systemd-sysv-install"},
	{Path: "usr/lib/systemd/systemd-sysv-install"},
	{Path: "usr/lib/systemd/system-generators/systemd-sysv-generator"},
	{Path: "lib/systemd/system-generators/systemd-sysv-generator"},
	{Path: "bin/systemctl"},
	{Path: "usr/bin/systemctl"},
	{Path: "usr/sbin/update-rc.d"},
	{Path: "usr/sbin/invoke-rc.d"},
	{Path: "usr/sbin/service"},
	{Path: "sbin/service"},
	{Path: "sbin/chkconfig"},
	{Path: "usr/sbin/chkconfig"},
	{Path: "sbin/insserv"},
	{Path: "usr/sbin/insserv"},
	{Path: "usr/lib/insserv/insserv"},
	{Path: "lib/lsb/init-functions"},
	{Path: "run/systemd/system"},
	// gzip compresses the apply's payload when the image has it.
	{Path: "bin/gzip"},
	{Path: "usr/bin/gzip"},
}, append(systemd.Watches(), systemd.LibraryWatches()...)...)
