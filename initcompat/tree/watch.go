package tree

import (
	_ "embed"
	"path"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/internal/shellword"
)

// Watch names a part of the image the snapshot captures. Paths are relative
// to the image root. Content paths are captured with their content, and
// directories recursively; stat paths are captured for their kind (and
// symlink target) only, since most of them are binaries whose presence is
// all that matters.
type Watch struct {
	Path    string
	Pattern string // when set, Path is a directory and only children matching it are captured
	Content bool
}

// DefaultWatches is the one list of watched paths, shared by every source.
// A path below a symlinked directory is skipped by both sources; the
// symlink itself is recorded (it is in the list too), and the real
// directory it points at is captured under its own name.
var DefaultWatches = []Watch{
	// What the image is and how it boots.
	{Path: "etc/os-release", Content: true},
	{Path: "usr/lib/os-release", Content: true},
	{Path: "etc/inittab", Content: true},
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
	// What init scripts source (the skeleton's /etc/default/NAME).
	{Path: "etc/default", Content: true},
	// Hand-installed daemon scripts an init script may start: whether one
	// runs in the foreground is read from its text (sysv-foreground).
	{Path: "usr/local/bin", Pattern: "*.sh", Content: true},
	{Path: "usr/local/sbin", Pattern: "*.sh", Content: true},
	// Which files the OS packages own (Debian family).
	{Path: "var/lib/dpkg/info", Pattern: "*.list", Content: true},
	// What initcompat itself wrote outside the unit and init directories.
	{Path: "etc/initcompat", Content: true},
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
}

// WithContent returns ws plus content watches for extra absolute paths
// (the manifest's directory, say), without duplicates.
func WithContent(ws []Watch, extra ...string) []Watch {
	out := append([]Watch(nil), ws...)
	seen := map[string]bool{}
	for _, w := range ws {
		if w.Content && w.Pattern == "" {
			seen[w.Path] = true
		}
	}
	for _, p := range extra {
		rel := strings.TrimPrefix(path.Clean(p), "/")
		if rel == "" || rel == "." || seen[rel] {
			continue
		}
		seen[rel] = true
		out = append(out, Watch{Path: rel, Content: true})
	}
	return out
}

// StatFile is the name of the synthetic first member of a snapshot tar
// stream: one line per stat path that exists.
const StatFile = ".initcompat-stat"

//go:embed snapshot.sh
var snapshotSh string

// SnapshotScript is the POSIX sh program that the remote transport runs to
// stream the watched paths as one tar archive on stdout: snapshot.sh and
// the two lines that name the paths.
func SnapshotScript(ws []Watch) string {
	var stat, content []string
	for _, w := range ws {
		switch {
		case w.Pattern != "":
			content = append(content, shellword.Quote(w.Path)+"/"+w.Pattern)
		case w.Content:
			content = append(content, shellword.Quote(w.Path))
		default:
			stat = append(stat, shellword.Quote(w.Path))
		}
	}
	var sources []string
	for _, d := range RefSources {
		sources = append(sources, shellword.Quote(d))
	}
	return snapshotSh + "kinds " + strings.Join(stat, " ") + " >\"$tmp/" + StatFile + "\" || exit 1\n" +
		"refs " + strings.Join(sources, " ") + " || exit 1\ncontent " + strings.Join(content, " ") + "\n"
}
