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
	Path string
	// Pattern, when set, makes Path a directory of which only the
	// children matching it are captured: with their content, or (without
	// Content) for their kind, as a stat path is.
	Pattern string
	Content bool
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
		case w.Pattern != "" && w.Content:
			content = append(content, shellword.Quote(w.Path)+"/"+w.Pattern)
		case w.Pattern != "":
			// The shell expands the pattern when kinds runs: each match
			// is a stat path (a pattern that matches nothing stays a
			// word that names nothing, and is not listed).
			stat = append(stat, shellword.Quote(w.Path)+"/"+w.Pattern)
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
