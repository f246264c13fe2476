package initcompat

import (
	"encoding/base64"
	"fmt"
	"path"
	"strings"
)

// ApplyScript turns a plan into one POSIX sh program that the remote
// transport feeds to `sh -s` on stdin, file contents included. It runs in
// three phases, so that a failure anywhere leaves the image as it was:
//
//  1. check: every path is still as the snapshot saw it;
//  2. stage: directories are made, files and links written beside their
//     destination under a hidden name, paths to remove moved aside;
//  3. commit: staged names are renamed into place, the manifest last.
//
// It needs sh, coreutils (base64, sha256sum, readlink, mv -T) and nothing
// else. INITCOMPAT_ROOT, when set, is prepended to every path (tests use it
// to run the real script against a directory).
func ApplyScript(p *Plan) string {
	var b strings.Builder
	b.WriteString(`set -u
R=${INITCOMPAT_ROOT:-}
umask 022
if [ -z "$R" ] && [ "$(id -u)" != 0 ]; then
	echo "initcompat: writing the image needs root, and this shell runs as $(id -un); set use_sudo = true or an execute_command that becomes root" >&2
	exit 77
fi
`)
	mkdirs := map[string]int{}
	for i, c := range p.Changes {
		if c.Op == OpMkdir {
			mkdirs[c.Path] = i
		}
	}
	q := func(p string) string { return `"$R"` + shQuote(p) }

	// cleanup undoes whatever stage and commit did so far; the flags say how far.
	b.WriteString("cleanup() {\n")
	for i := len(p.Changes) - 1; i >= 0; i-- {
		c := p.Changes[i]
		switch c.Op {
		case OpMkdir:
			fmt.Fprintf(&b, "\t[ -z \"${s%d:-}\" ] || rmdir -- %s 2>/dev/null\n", i, q(c.Path))
		case OpRemove:
			fmt.Fprintf(&b, "\t[ -z \"${s%d:-}\" ] || mv -f -T -- %s %s\n", i, q(aside(c.Path)), q(c.Path))
		default:
			fmt.Fprintf(&b, "\trm -f -- %s\n", q(staged(c.Path)))
			if c.Prior.Kind == "absent" {
				fmt.Fprintf(&b, "\t[ -z \"${c%d:-}\" ] || rm -f -- %s\n", i, q(c.Path))
			}
		}
	}
	b.WriteString("\t:\n}\n")
	b.WriteString(`fail() {
	echo "initcompat: $*" >&2
	cleanup
	echo "initcompat: nothing was changed" >&2
	exit 1
}
changed() { fail "$1 changed since the snapshot ($2); run the build again"; }
absent() { if [ -e "$1" ] || [ -L "$1" ]; then changed "$1" "it exists now"; fi; }
isfile() {
	[ -f "$1" ] && [ ! -L "$1" ] || changed "$1" "no longer a regular file"
	[ "$(sha256sum <"$1" | cut -c1-64)" = "$2" ] || changed "$1" "its content differs"
}
islink() { [ -L "$1" ] && [ "$(readlink -- "$1")" = "$2" ] || changed "$1" "no longer a symlink to $2"; }
isdir() { [ -d "$1" ] && [ ! -L "$1" ] || changed "$1" "no longer a directory"; }
`)

	b.WriteString("\n# 1. check\n")
	checked := map[string]bool{}
	for _, c := range p.Changes {
		if dir := path.Dir(c.Path); !checked[dir] {
			if _, made := mkdirs[dir]; !made {
				checked[dir] = true
				fmt.Fprintf(&b, "isdir %s\n", q(dir))
			}
		}
		switch c.Prior.Kind {
		case "absent":
			fmt.Fprintf(&b, "absent %s\n", q(c.Path))
		case "file":
			fmt.Fprintf(&b, "isfile %s %s\n", q(c.Path), c.Prior.SHA256)
		case "symlink":
			fmt.Fprintf(&b, "islink %s %s\n", q(c.Path), shQuote(c.Prior.Target))
		}
	}

	b.WriteString("\n# 2. stage\n")
	for i, c := range p.Changes {
		switch c.Op {
		case OpMkdir:
			fmt.Fprintf(&b, "mkdir -m %04o -- %s || fail \"cannot create %s\"\ns%d=1\n", c.Mode, q(c.Path), c.Path, i)
		case OpWrite:
			st := q(staged(c.Path))
			fmt.Fprintf(&b, "rm -f -- %s\nbase64 -d >%s <<'INITCOMPAT_PAYLOAD' || fail \"cannot write %s\"\n", st, st, c.Path)
			enc := base64.StdEncoding.EncodeToString(c.Content)
			for len(enc) > 76 {
				b.WriteString(enc[:76] + "\n")
				enc = enc[76:]
			}
			b.WriteString(enc + "\nINITCOMPAT_PAYLOAD\n")
			fmt.Fprintf(&b, "chmod %04o -- %s || fail \"cannot chmod %s\"\n", c.Mode, st, c.Path)
		case OpSymlink:
			st := q(staged(c.Path))
			fmt.Fprintf(&b, "rm -f -- %s\nln -s -- %s %s || fail \"cannot link %s\"\n", st, shQuote(c.Target), st, c.Path)
		case OpRemove:
			fmt.Fprintf(&b, "mv -f -T -- %s %s || fail \"cannot move %s aside\"\ns%d=1\n", q(c.Path), q(aside(c.Path)), c.Path, i)
		}
	}

	b.WriteString("\n# 3. commit\n")
	for i, c := range p.Changes {
		switch c.Op {
		case OpWrite, OpSymlink:
			fmt.Fprintf(&b, "mv -f -T -- %s %s || fail \"cannot rename into %s\"\nc%d=1\n", q(staged(c.Path)), q(c.Path), c.Path, i)
		}
	}
	for _, c := range p.Changes {
		if c.Op == OpRemove {
			fmt.Fprintf(&b, "rm -f -- %s\n", q(aside(c.Path)))
		}
	}
	fmt.Fprintf(&b, "echo \"initcompat: applied %d change(s)\"\n", len(p.Changes))
	return b.String()
}

// staged is the hidden name a path is written under before the rename.
func staged(p string) string { return path.Join(path.Dir(p), "."+path.Base(p)+".initcompat-new") }

// aside is where a path to remove waits until the commit.
func aside(p string) string { return path.Join(path.Dir(p), "."+path.Base(p)+".initcompat-old") }

// StagedName and AsideName expose the naming to the local transport, so that
// both transports leave the same traces if interrupted.
func StagedName(p string) string { return staged(p) }

// AsideName: see StagedName.
func AsideName(p string) string { return aside(p) }

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
