package provisioner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/internal/confine"
)

// The offline verify of a root_dir build runs this host's systemd-analyze
// over an untrusted image. With --root alone it followed the image's
// links on this host (issue 34: a cloud-final.service linked to a file
// of the host put that file in the build log, report_file and the
// baseline written into the image; a link to a FIFO of the host held the
// build for the analyzer's timeout). So it runs confined: the image is
// its root, in a mount namespace of its own (internal/confine). Where
// that cannot be made, it runs as before only when no link of the unit
// search path leaves what the snapshot read (foreignLinks); otherwise
// the verify is skipped, saying why.

// probeTimeout bounds the probe of the confinement, which canVerify runs
// without the build's context (the transport interface gives it none): a
// mount namespace and systemd-analyze --version, well under a second.
var probeTimeout = 30 * time.Second

// prepareConfinement is confine.Prepare; tests make it fail, as it does
// on a host where the analyzer cannot be confined.
var prepareConfinement = confine.Prepare

// analyzeArgs are systemd-analyze's arguments: offline, the image's
// default.target, no man pages. Confined, the image is the root.
func (l *local) analyzeArgs() []string {
	root := "/"
	if l.confined == nil {
		root = l.dir
	}
	return []string{"verify", "--root=" + root, "--man=no", "default.target"}
}

// analyzeCommand is how the checks name what ran.
func (l *local) analyzeCommand() string {
	cmd := l.analyzer + " " + strings.Join(l.analyzeArgs(), " ")
	if l.confined != nil {
		return cmd + " (chrooted into root_dir " + l.dir + ", in a mount namespace of its own)"
	}
	return cmd + " (not confined: " + l.unconfined + ")"
}

// confine decides, once, whether the analyzer runs confined to root_dir:
// it prepares the confinement and runs systemd-analyze --version in it.
// It says why not, "" when it does.
func (l *local) confine() string {
	if l.confined != nil || l.unconfined != "" {
		return l.unconfined
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	p, err := prepareConfinement(ctx, l.analyzer)
	if err == nil {
		l.confined = p
		_, err = l.runConfined(ctx, true, "--version")
	}
	if err != nil {
		l.confined = nil
		l.unconfined = firstLine(err.Error())
	}
	return l.unconfined
}

// runConfined runs the analyzer with args, confined; probe makes the view
// without reading the image (for --version).
func (l *local) runConfined(ctx context.Context, probe bool, args ...string) (string, error) {
	// The mounts of the namespace are made on work; the host sees an empty
	// directory, removed after.
	work, err := os.MkdirTemp("", "initcompat-analyze-")
	if err != nil {
		return "", fmt.Errorf("a directory for the confinement: %w", err)
	}
	defer func() { _ = os.Remove(work) }()
	name, argv := l.confined.Command(l.dir, work, probe, args...)
	out, status, err := runLocalStatus(ctx, analyzeTimeout, name, argv...)
	if err != nil {
		return "", fmt.Errorf("%s, confined to root_dir: %w", l.analyzer, err)
	}
	out, err = confine.Output(out, status)
	if err != nil {
		return "", fmt.Errorf("%s: %w", l.analyzer, err)
	}
	return out, nil
}

// foreignLinks lists the links of the unit search path that this host's
// systemd-analyze --root could follow out of root_dir: those the
// snapshot cannot follow to what it read (systemd.ForeignLinks), and a
// search directory that exists but that the snapshot did not read,
// being reached through a link (it could not check the links in it), or
// that a walk from root_dir that never leaves it cannot reach.
func (l *local) foreignLinks(t *tree.Tree) []string {
	out := systemd.ForeignLinks(t)
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return out
	}
	defer func() { _ = root.Close() }()
	for _, d := range systemd.SearchPath {
		_, err := root.Stat(rel(d))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			out = append(out, d)
			continue
		}
		if r, err := t.Resolve(d); err != nil {
			out = append(out, d)
		} else if e, ok := t.Lstat(r); !ok || e.Kind != tree.Dir {
			out = append(out, d)
		}
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
