// Package confine runs a program of the Packer host with an image as its
// root directory, so that the image's links resolve inside the image and
// nothing of the host but the program itself is in its reach
// (confine.sh says how). It serves the offline systemd-analyze verify of
// root_dir builds: with --root alone, systemd 252 (Debian 12's) opens a
// unit whose link leaves its search path at the link's target on the
// host (src/shared/unit-file.c, unit_file_build_name_map: a "linked unit
// file" is kept as the chased target, not prefixed with the root; later
// releases prefix it: systemd/systemd, same file, "is_abs ?
// lp->root_dir : *dir"), and it waits on a FIFO there.
package confine

import (
	"bufio"
	"context"
	"debug/elf"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

//go:embed confine.sh
var script string

// Ready is the line confine.sh prints once the view of the image is
// made; the program's output follows it.
const Ready = "initcompat-confined"

// SetupFailed is the exit status of a confinement that could not be made
// (confine.sh's, and chroot's and env's own when they cannot run what
// follows them: 125 to 127).
func SetupFailed(status int) bool { return status >= 125 && status <= 127 }

// Program is a program of this host ready to be run confined.
type Program struct {
	path    string
	interp  string   // the ELF interpreter of both binaries, "" when both are static
	libDirs []string // where the interpreter found their libraries
	setpriv string
	unshare string
	sh      string
	user    bool // not root: a user namespace too
}

// listTimeout bounds the interpreter's listing of a binary's libraries.
const listTimeout = 30 * time.Second

// Prepare finds what running program confined takes: this host's unshare,
// setpriv, chroot and sh, and the ELF interpreter and library directories
// of program and setpriv. An error says why it cannot be confined here.
func Prepare(ctx context.Context, program string) (*Program, error) {
	p := &Program{path: program, user: os.Geteuid() != 0}
	for _, tool := range []struct {
		name string
		to   *string
	}{{"unshare", &p.unshare}, {"setpriv", &p.setpriv}, {"sh", &p.sh}, {"chroot", nil}, {"mount", nil}} {
		found, err := exec.LookPath(tool.name)
		if err != nil {
			return nil, fmt.Errorf("this host has no %s (util-linux, coreutils): %w", tool.name, err)
		}
		if tool.to != nil {
			*tool.to = found
		}
	}
	var interps []string
	for _, bin := range []string{p.path, p.setpriv} {
		interp, err := interpreter(bin)
		if err != nil {
			return nil, err
		}
		interps = append(interps, interp)
	}
	if interps[0] != interps[1] {
		return nil, fmt.Errorf("%s and %s have different ELF interpreters (%q, %q)", p.path, p.setpriv, interps[0], interps[1])
	}
	p.interp = interps[0]
	if p.interp == "" {
		return p, nil
	}
	for _, bin := range []string{p.path, p.setpriv} {
		dirs, err := libDirs(ctx, p.interp, bin)
		if err != nil {
			return nil, err
		}
		for _, d := range dirs {
			if !slices.Contains(p.libDirs, d) {
				p.libDirs = append(p.libDirs, d)
			}
		}
	}
	return p, nil
}

// interpreter is bin's PT_INTERP, "" for a static binary; anything but an
// ELF executable (a script, whose interpreter would be the image's) is an
// error.
func interpreter(bin string) (string, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return "", fmt.Errorf("%s is not an ELF executable, which is all that can be run confined: %w", bin, err)
	}
	defer func() { _ = f.Close() }()
	for _, prog := range f.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		data := make([]byte, prog.Filesz)
		if _, err := prog.ReadAt(data, 0); err != nil {
			return "", fmt.Errorf("%s: reading its ELF interpreter: %w", bin, err)
		}
		interp := strings.TrimRight(string(data), "\x00")
		if !filepath.IsAbs(interp) {
			return "", fmt.Errorf("%s: ELF interpreter %q is not an absolute path", bin, interp)
		}
		return interp, nil
	}
	return "", nil
}

// libDirs asks the interpreter where it finds bin's libraries (what ldd
// prints: "NAME => PATH (ADDRESS)", and the interpreter's own "PATH
// (ADDRESS)"), and returns their directories. A library it cannot find
// is an error: the confined program would look for it in the image.
func libDirs(ctx context.Context, interp, bin string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, interp, "--list", bin)
	cmd.Env = []string{"LC_ALL=C"}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list %s: %w", interp, bin, err)
	}
	var dirs []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.Contains(line, "not found") {
			return nil, fmt.Errorf("%s --list %s: %s", interp, bin, line)
		}
		if _, after, ok := strings.Cut(line, " => "); ok {
			line = after
		}
		lib, _, _ := strings.Cut(line, " (0x")
		if !filepath.IsAbs(lib) || lib == interp {
			continue // linux-vdso.so.1, the interpreter itself
		}
		if d := filepath.Dir(lib); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs, sc.Err()
}

// Command is the command line that runs the program with args, its root
// the image at dir, in a mount namespace of its own whose mounts are made
// on work (an empty directory of the host the caller removes after).
// probe makes the view without reading the image for FIFOs, for a run of
// --version that says whether confinement works here.
func (p *Program) Command(dir, work string, probe bool, args ...string) (string, []string) {
	mode := "run"
	if probe {
		mode = "probe"
	}
	argv := []string{"--mount", "--propagation", "private"}
	if p.user {
		// Not root: a user namespace of its own, in which it is root.
		argv = append([]string{"--user", "--map-root-user"}, argv...)
	}
	argv = append(argv, "--", p.sh, "-c", script, "initcompat-confine", mode, dir, work, p.interp, p.setpriv, p.path)
	argv = append(argv, p.libDirs...)
	argv = append(argv, "--")
	return p.unshare, append(argv, args...)
}

// ErrNotConfined is what Output returns when the view was not made.
var ErrNotConfined = errors.New("the confinement could not be made")

// Output checks what a run of Command printed and how it ended: the
// program's output, or ErrNotConfined with what the setup said.
// What the setup printed before its Ready line (this host's tools'
// warnings) is left out; the first Ready line is the script's, as the
// program runs only after it.
func Output(out string, status int) (string, error) {
	at := -1
	if strings.HasPrefix(out, Ready+"\n") {
		at = 0
	} else if i := strings.Index(out, "\n"+Ready+"\n"); i >= 0 {
		at = i + 1
	}
	if at < 0 || SetupFailed(status) {
		return "", fmt.Errorf("%w: %s", ErrNotConfined, strings.TrimSpace(out))
	}
	return out[at+len(Ready)+1:], nil
}
