package systemd

import (
	"bufio"
	"bytes"
	"path"
	"strconv"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// Install is what an image's systemd is, as far as init scripts go: its
// version and which of its SysV pieces it has. systemd 260 removed the
// generators and systemd-sysv-install (v259's NEWS).
type Install struct {
	// Version is the major version (252, 257, 262), 0 when unknown.
	Version int
	// VersionText is what the version was read from ("252",
	// "256.11-1.fc41"), and Source the path that named it.
	VersionText, Source string
	// SysvGenerator, RCLocalGenerator and SysvInstall are the paths of
	// the pieces found, "" when absent.
	SysvGenerator, RCLocalGenerator, SysvInstall string
	// SysvGeneratorMasked and RCLocalGeneratorMasked: a same-named link to
	// /dev/null (or an empty file) in /etc/systemd/system-generators or
	// /run/systemd/system-generators, which systemd runs instead
	// (systemd.generator(7): a generator in /etc overrides one of the
	// same name in /usr/lib; one pointing to /dev/null disables it).
	SysvGeneratorMasked, RCLocalGeneratorMasked bool
}

// RunsInitScripts reports whether systemd turns init scripts into units at
// boot here: the generator is there and not masked.
func (i Install) RunsInitScripts() bool { return i.SysvGenerator != "" && !i.SysvGeneratorMasked }

// RunsRCLocal reports whether systemd runs an executable /etc/rc.local at
// boot here.
func (i Install) RunsRCLocal() bool { return i.RCLocalGenerator != "" && !i.RCLocalGeneratorMasked }

// libDirs are where systemd's private shared library lives, the directories
// systemd-nspawn itself reads a container's systemd version from
// (systemd_installation_has_version(), src/nspawn/nspawn-util.c:11-73 in
// systemd 257.13): Debian and Ubuntu put it in the multiarch directory
// (bookworm: /usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so),
// Fedora, RHEL and Amazon Linux in /usr/lib64/systemd
// (libsystemd-shared-252.so on RHEL 9, -256.11-1.fc41.so on Fedora 41: the
// name carries meson's shared-lib-tag, the project version by default), and
// older Debian in /lib/systemd. The multiarch directories are named, not
// globbed: a snapshot watches fixed paths.
var libDirs = []string{
	"/usr/lib/x86_64-linux-gnu/systemd",
	"/usr/lib/aarch64-linux-gnu/systemd",
	"/usr/lib/arm-linux-gnueabihf/systemd",
	"/usr/lib/i386-linux-gnu/systemd",
	"/usr/lib/powerpc64le-linux-gnu/systemd",
	"/usr/lib/s390x-linux-gnu/systemd",
	"/usr/lib/riscv64-linux-gnu/systemd",
	"/usr/lib/systemd",
	"/lib/systemd",
	"/usr/lib64/systemd",
	"/lib64/systemd",
}

// Watches are the snapshot watches ReadInstall and the rc.local shim need
// beyond inspect.Watches, all small: the rc-local generator (stat), the
// generator override directories (a mask is a link or an empty file), and
// /etc/rc.local (stat: the generator asks only whether it is executable).
func Watches() []tree.Watch {
	return []tree.Watch{
		{Path: "usr/lib/systemd/system-generators/systemd-rc-local-generator"},
		{Path: "lib/systemd/system-generators/systemd-rc-local-generator"},
		{Path: "etc/systemd/system-generators", Content: true},
		{Path: "run/systemd/system-generators", Content: true},
		{Path: "etc/rc.local"},
	}
}

// LibraryWatches name the library in each of libDirs, for the images
// without dpkg (RHEL, Fedora, Amazon Linux, SUSE): stat-only pattern
// watches, which record each match's name and kind, never its megabytes.
func LibraryWatches() []tree.Watch {
	ws := make([]tree.Watch, 0, len(libDirs))
	for _, d := range libDirs {
		ws = append(ws, tree.Watch{Path: strings.TrimPrefix(d, "/"), Pattern: "libsystemd-shared-*.so"})
	}
	return ws
}

// generatorDirs are the system generator directories, vendor ones last
// (systemd.generator(7)).
var generatorDirs = []string{"/etc/systemd/system-generators", "/run/systemd/system-generators",
	"/usr/local/lib/systemd/system-generators", "/usr/lib/systemd/system-generators", "/lib/systemd/system-generators"}

// ReadInstall reads the image's systemd from t, running nothing.
func ReadInstall(t *tree.Tree) Install {
	var in Install
	in.SysvGenerator, in.SysvGeneratorMasked = generator(t, "systemd-sysv-generator")
	in.RCLocalGenerator, in.RCLocalGeneratorMasked = generator(t, "systemd-rc-local-generator")
	for _, p := range []string{"/usr/lib/systemd/systemd-sysv-install", "/lib/systemd/systemd-sysv-install"} {
		if t.Exists(p) {
			in.SysvInstall = p
			break
		}
	}
	for _, d := range libDirs {
		for _, e := range t.ReadDir(d) {
			if v, ok := libraryVersion(path.Base(e.Path)); ok && better(v, in.VersionText) {
				in.VersionText, in.Source = v, e.Path
			}
		}
	}
	if in.VersionText == "" {
		in.VersionText, in.Source = dpkgVersion(t)
	}
	in.Version = major(in.VersionText)
	return in
}

// generator finds a generator by name: the first directory holding the name
// decides, and a link to /dev/null or an empty file there masks it.
func generator(t *tree.Tree, name string) (found string, masked bool) {
	for _, d := range generatorDirs {
		p := path.Join(d, name)
		e, ok := t.Lstat(p)
		if !ok {
			continue
		}
		switch {
		case e.Kind == tree.Symlink && isNull(e.Target):
			return "", true
		case e.Kind == tree.File && e.Size == 0 && !e.Omitted && !strings.HasPrefix(d, "/usr/lib") && !strings.HasPrefix(d, "/lib"):
			return "", true
		}
		if t.Exists(p) {
			return p, false
		}
	}
	return "", false
}

// libraryVersion reads "libsystemd-shared-252.so" and
// "libsystemd-shared-256.11-1.fc41.so".
func libraryVersion(base string) (string, bool) {
	v, ok := strings.CutPrefix(base, "libsystemd-shared-")
	if !ok {
		return "", false
	}
	v, ok = strings.CutSuffix(v, ".so")
	return v, ok && major(v) > 0
}

// dpkgVersion finds the library's name in the dpkg file lists the snapshot
// reads (/var/lib/dpkg/info/libsystemd-shared:ARCH.list on bookworm,
// trixie and forky; systemd.list before the library had a package).
func dpkgVersion(t *tree.Tree) (string, string) {
	best, src := "", ""
	for _, e := range t.ReadDir("/var/lib/dpkg/info") {
		b := path.Base(e.Path)
		if !strings.HasPrefix(b, "libsystemd-shared") && !strings.HasPrefix(b, "systemd.list") && !strings.HasPrefix(b, "systemd:") {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(e.Data))
		for sc.Scan() {
			line := sc.Text()
			if v, ok := libraryVersion(path.Base(line)); ok && better(v, best) {
				best, src = v, e.Path+": "+line
			}
		}
	}
	return best, src
}

// major is the leading number of a version, 0 when there is none or it is
// not a plausible systemd major (systemd counts from 1; 999 leaves room).
func major(v string) int {
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(v[:end])
	if err != nil || n < 1 || n > 999 {
		return 0
	}
	return n
}

// better prefers the higher major: an image with two libraries left by an
// upgrade runs the newer one.
func better(v, than string) bool { return major(v) > major(than) }
