package initcompat

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// Staging layout, shared by both transports: a change to DIR/NAME is
// written as DIR/.initcompat-stage/NAME, and a path that is replaced or
// removed waits as DIR/.initcompat-old/NAME until the commit. The rc
// scripts, run-parts and systemd all skip hidden names.
const (
	stageDir = ".initcompat-stage"
	asideDir = ".initcompat-old"
)

// StageDir holds the new files for dir until the commit.
func StageDir(dir string) string { return path.Join(dir, stageDir) }

// AsideDir holds what is replaced or removed in dir until the commit.
func AsideDir(dir string) string { return path.Join(dir, asideDir) }

// StagedName is where a change's new content waits before the commit.
func StagedName(p string) string { return path.Join(StageDir(path.Dir(p)), path.Base(p)) }

// AsideName is where the previous occupant of p waits until the commit.
func AsideName(p string) string { return path.Join(AsideDir(path.Dir(p)), path.Base(p)) }

// DirChanges is the changes to one directory, which both transports stage
// and commit together.
type DirChanges struct {
	Dir   string
	New   []Change // writes and symlinks
	Aside []Change // paths that exist now: replaced or removed
}

// ByDir groups the changes by directory, sorted, except that the manifest's
// directory comes last so that the manifest is the last file in place.
func (p *Plan) ByDir() []DirChanges {
	byDir := map[string]*DirChanges{}
	for _, c := range p.Changes {
		if c.Op == OpMkdir {
			continue
		}
		d := path.Dir(c.Path)
		g := byDir[d]
		if g == nil {
			g = &DirChanges{Dir: d}
			byDir[d] = g
		}
		if c.Op != OpRemove {
			g.New = append(g.New, c)
		}
		if c.Prior.Kind != "absent" {
			g.Aside = append(g.Aside, c)
		}
	}
	out := make([]DirChanges, 0, len(byDir))
	for _, g := range byDir {
		out = append(out, *g)
	}
	last := path.Dir(p.ManifestPath)
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Dir == last) != (out[j].Dir == last) {
			return out[j].Dir == last
		}
		return out[i].Dir < out[j].Dir
	})
	return out
}

// ApplyScript turns a plan into one POSIX sh program that the remote
// transport feeds to `sh -s` on stdin, every file's content included (one
// tar archive, base64 in a here-document). It runs in three phases, so that
// a failure anywhere leaves the image as it was:
//
//  1. check: every path is still as the snapshot saw it;
//  2. stage: directories are made, the archive is unpacked into the stage
//     directories, paths to replace or remove are moved aside;
//  3. commit: one mv per directory renames the staged names into place.
//
// It needs sh, coreutils and tar. INITCOMPAT_ROOT, when set, is prepended to
// every path (tests run the real script against a directory).
func ApplyScript(p *Plan) (string, error) {
	q := func(p string) string { return `"$R"` + tree.ShellQuote(p) }
	gs := p.ByDir()
	mkdirs := map[string]bool{}
	var b strings.Builder
	b.WriteString(`set -u
R=${INITCOMPAT_ROOT:-}
umask 022
if [ -z "$R" ] && [ "$(id -u)" != 0 ]; then
	echo "initcompat: writing the image needs root, and this shell runs as $(id -un); set use_sudo = true or an execute_command that becomes root" >&2
	exit 77
fi
`)
	// cleanup undoes what stage and commit did so far; flags say how far.
	b.WriteString("cleanup() {\n")
	for i := len(gs) - 1; i >= 0; i-- {
		g := gs[i]
		st, as := path.Join(g.Dir, stageDir), path.Join(g.Dir, asideDir)
		if len(g.New) > 0 {
			// Whatever left the stage directory is in place: take it out.
			fmt.Fprintf(&b, "\tif [ -n \"${c%d:-}\" ]; then\n", i)
			for _, c := range g.New {
				n := q(path.Join(st, path.Base(c.Path)))
				fmt.Fprintf(&b, "\t\t[ -e %s ] || [ -L %s ] || rm -f -- %s\n", n, n, q(c.Path))
			}
			b.WriteString("\tfi\n")
		}
		for _, c := range g.Aside {
			a := q(AsideName(c.Path))
			fmt.Fprintf(&b, "\tif [ -n \"${a%d:-}\" ] && { [ -e %s ] || [ -L %s ]; }; then mv -f -T -- %s %s; fi\n", i, a, a, a, q(c.Path))
		}
		if len(g.New) > 0 {
			fmt.Fprintf(&b, "\t[ -z \"${x:-}\" ] || rm -rf -- %s\n", q(st))
		}
		if len(g.Aside) > 0 {
			fmt.Fprintf(&b, "\trmdir -- %s 2>/dev/null\n", q(as))
		}
	}
	for i := len(p.Changes) - 1; i >= 0; i-- {
		if c := p.Changes[i]; c.Op == OpMkdir {
			fmt.Fprintf(&b, "\t[ -z \"${m%d:-}\" ] || rmdir -- %s 2>/dev/null\n", i, q(c.Path))
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
	for _, c := range p.Changes {
		if c.Op == OpMkdir {
			mkdirs[c.Path] = true
		}
	}
	for _, g := range gs {
		if !mkdirs[g.Dir] {
			fmt.Fprintf(&b, "isdir %s\n", q(g.Dir))
			fmt.Fprintf(&b, "absent %s\n", q(path.Join(g.Dir, stageDir)))
		}
		if len(g.Aside) > 0 {
			fmt.Fprintf(&b, "absent %s\n", q(path.Join(g.Dir, asideDir)))
		}
	}
	for _, c := range p.Changes {
		switch c.Prior.Kind {
		case "absent":
			fmt.Fprintf(&b, "absent %s\n", q(c.Path))
		case "file":
			fmt.Fprintf(&b, "isfile %s %s\n", q(c.Path), c.Prior.SHA256)
		case "symlink":
			fmt.Fprintf(&b, "islink %s %s\n", q(c.Path), tree.ShellQuote(c.Prior.Target))
		}
	}

	b.WriteString("\n# 2. stage\n")
	for i, c := range p.Changes {
		if c.Op == OpMkdir {
			fmt.Fprintf(&b, "m%d=1\nmkdir -m %04o -- %s || fail %s\n", i, c.Mode, q(c.Path), tree.ShellQuote("cannot create "+c.Path))
		}
	}
	archive, err := stageArchive(gs)
	if err != nil {
		return "", err
	}
	b.WriteString("x=1\nbase64 -d <<'INITCOMPAT_PAYLOAD' | tar -x -m -p -P -f - -C \"${R:-/}\" || fail 'cannot unpack the staged files'\n")
	for len(archive) > 76 {
		b.WriteString(archive[:76] + "\n")
		archive = archive[76:]
	}
	b.WriteString(archive + "\nINITCOMPAT_PAYLOAD\n")
	for i, g := range gs {
		if len(g.Aside) == 0 {
			continue
		}
		fmt.Fprintf(&b, "a%d=1\nmkdir -- %s || fail %s\n", i, q(path.Join(g.Dir, asideDir)), tree.ShellQuote("cannot create "+path.Join(g.Dir, asideDir)))
		for _, c := range g.Aside {
			fmt.Fprintf(&b, "mv -f -T -- %s %s || fail %s\n", q(c.Path), q(AsideName(c.Path)), tree.ShellQuote("cannot move "+c.Path+" aside"))
		}
	}

	b.WriteString("\n# 3. commit\n")
	for i, g := range gs {
		if len(g.New) == 0 {
			continue
		}
		fmt.Fprintf(&b, "c%d=1\nmv -f -t %s --", i, q(g.Dir))
		for _, c := range g.New {
			fmt.Fprintf(&b, " %s", q(StagedName(c.Path)))
		}
		fmt.Fprintf(&b, " || fail %s\n", tree.ShellQuote("cannot rename the staged files into "+g.Dir))
	}
	// Past this point the image is complete: what follows only tidies, and
	// its failure is a warning, never a rollback.
	b.WriteString(TidyMarker + "\n")
	for _, g := range gs {
		if len(g.New) > 0 {
			d := q(path.Join(g.Dir, stageDir))
			fmt.Fprintf(&b, "rmdir -- %s || echo \"initcompat: warning: could not remove \"%s >&2\n", d, d)
		}
		if len(g.Aside) > 0 {
			d := q(path.Join(g.Dir, asideDir))
			fmt.Fprintf(&b, "rm -rf -- %s || echo \"initcompat: warning: could not remove \"%s >&2\n", d, d)
		}
	}
	fmt.Fprintf(&b, "echo \"initcompat: applied %d change(s)\"\n", len(p.Changes))
	return b.String(), nil
}

// stageArchive packs every new file and link under its staged name, with
// the stage directories, as base64 text.
func stageArchive(gs []DirChanges) (string, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := func(h *tar.Header) error {
		// A fixed time keeps headers in the compact ustar format and the plan
		// deterministic; tar -m gives the files the time of the apply.
		h.Uname, h.Gname, h.ModTime = "root", "root", time.Unix(0, 0)
		return tw.WriteHeader(h)
	}
	for _, g := range gs {
		if len(g.New) == 0 {
			continue
		}
		if err := hdr(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(path.Join(g.Dir, stageDir), "/") + "/", Mode: 0o700}); err != nil {
			return "", fmt.Errorf("packing the staged files: %w", err)
		}
		for _, c := range g.New {
			name := strings.TrimPrefix(StagedName(c.Path), "/")
			var err error
			if c.Op == OpSymlink {
				err = hdr(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: c.Target, Mode: 0o777})
			} else if err = hdr(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(c.Mode), Size: int64(len(c.Content))}); err == nil {
				_, err = tw.Write(c.Content)
			}
			if err != nil {
				return "", fmt.Errorf("packing %s: %w", c.Path, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return "", fmt.Errorf("packing the staged files: %w", err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// TidyMarker is the comment line of an apply script after which the image
// is complete.
const TidyMarker = "# 4. tidy: the image is complete"
