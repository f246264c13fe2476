//go:build linux

package protocol

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree/treetest"
)

// The images and plans of the conformance table, and its two runners: the
// real shell script run by the machine's sh (dash on Debian) against a
// directory (INITCOMPAT_ROOT, as the remote transport's tests do), and the
// os.Root runner over the same directory.

// node is one path of a test image: a file (content), a link (target) or
// a directory (dir).
type node struct {
	content, target string
	dir             bool
	mode            fs.FileMode
}

func file(content string) node   { return node{content: content, mode: 0o644} }
func script(content string) node { return node{content: content, mode: 0o755} }
func link(target string) node    { return node{target: target} }
func dir() node                  { return node{dir: true, mode: 0o755} }

const oldScript = "#!/bin/sh\n# initcompat v1\n"

// baseImage is an image an earlier build wrote into: an init script, its
// rc link, a drop-in directory of initcompat's own and the manifest.
func baseImage() map[string]node {
	return map[string]node{
		"/etc/init.d":                        dir(),
		"/etc/init.d/old":                    script(oldScript),
		"/etc/rc2.d":                         dir(),
		"/etc/rc2.d/S01old":                  link("../init.d/old"),
		"/etc/systemd/system":                dir(),
		"/etc/systemd/system/gone.service.d": dir(),
		"/etc/systemd/system/gone.service.d/initcompat.conf": file("[Unit]\nAfter=cloud-final.service\n"),
		"/var/lib":                          dir(),
		"/var/lib/initcompat":               dir(),
		"/var/lib/initcompat/manifest.json": file(plan.ManifestHeader + ", \"v\": 1}\n"),
	}
}

func makeImage(t *testing.T, nodes map[string]node) string {
	t.Helper()
	root := t.TempDir()
	paths := make([]string, 0, len(nodes))
	for p := range nodes {
		paths = append(paths, p)
	}
	sort.Strings(paths) // a directory before what is in it
	for _, p := range paths {
		n, at := nodes[p], filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(at), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case n.dir:
			err = os.Mkdir(at, n.mode)
		case n.target != "":
			err = os.Symlink(n.target, at)
		default:
			err = os.WriteFile(at, []byte(n.content), n.mode)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func newFile(p, content string, mode fs.FileMode, prior plan.Prior) plan.Change {
	return plan.Change{Op: plan.OpWrite, Path: p, Content: []byte(content), SHA256: sum(content), Mode: mode, Prior: prior}
}

const manifest = "/var/lib/initcompat/manifest.json"

var priorManifest = plan.Prior{Kind: plan.KindFile, SHA256: sum(plan.ManifestHeader + ", \"v\": 1}\n")}

// applyPlan makes, links, replaces and removes: every kind of step.
func applyPlan() *plan.Plan {
	return &plan.Plan{Places: testPlaces, ManifestPath: manifest, Changes: []plan.Change{
		{Op: plan.OpMkdir, Path: "/etc/systemd/system/a.service.d", Mode: 0o755, Prior: plan.Prior{Kind: plan.KindAbsent}},
		newFile("/etc/systemd/system/a.service.d/initcompat.conf", "[Unit]\nAfter=b.service\n", 0o644, plan.Prior{Kind: plan.KindAbsent}),
		newFile("/etc/init.d/a", "#!/bin/sh\n# initcompat v2\n", 0o755, plan.Prior{Kind: plan.KindAbsent}),
		{Op: plan.OpSymlink, Path: "/etc/rc2.d/S01a", Target: "../init.d/a", Prior: plan.Prior{Kind: plan.KindAbsent}},
		newFile("/etc/init.d/old", "#!/bin/sh\n# initcompat v2\n", 0o755, plan.Prior{Kind: plan.KindFile, SHA256: sum(oldScript)}),
		{Op: plan.OpRemove, Path: "/etc/rc2.d/S01old", Prior: plan.Prior{Kind: plan.KindSymlink, Target: "../init.d/old"}},
		newFile(manifest, plan.ManifestHeader+", \"v\": 2}\n", 0o644, priorManifest),
	}}
}

// removePlan takes away a drop-in directory initcompat made, with its file.
func removePlan() *plan.Plan {
	return &plan.Plan{Places: testPlaces, ManifestPath: manifest, Changes: []plan.Change{
		{Op: plan.OpRemove, Path: "/etc/systemd/system/gone.service.d/initcompat.conf", Prior: plan.Prior{Kind: plan.KindFile, SHA256: sum("[Unit]\nAfter=cloud-final.service\n")}},
		{Op: plan.OpRemove, Path: "/etc/systemd/system/gone.service.d", Prior: plan.Prior{Kind: plan.KindDir}},
		newFile(manifest, plan.ManifestHeader+", \"v\": 3}\n", 0o644, priorManifest),
	}}
}

// freshImage is an image no build wrote into: no manifest, nor its
// directory.
func freshImage() map[string]node {
	return map[string]node{
		"/etc/init.d":         dir(),
		"/etc/systemd/system": dir(),
		"/var/lib":            dir(),
	}
}

// freshPlan makes directories, one inside another, and the manifest's:
// each shallowest one is staged whole and renamed into place, the
// manifest's last.
func freshPlan() *plan.Plan {
	return &plan.Plan{Places: testPlaces, ManifestPath: manifest, Changes: []plan.Change{
		{Op: plan.OpMkdir, Path: "/etc/initcompat", Mode: 0o755, Prior: plan.Prior{Kind: plan.KindAbsent}},
		{Op: plan.OpMkdir, Path: "/etc/initcompat/lib", Mode: 0o700, Prior: plan.Prior{Kind: plan.KindAbsent}},
		newFile("/etc/initcompat/lib/run.sh", "#!/bin/sh\n# initcompat\n", 0o755, plan.Prior{Kind: plan.KindAbsent}),
		{Op: plan.OpSymlink, Path: "/etc/initcompat/run", Target: "lib/run.sh", Prior: plan.Prior{Kind: plan.KindAbsent}},
		{Op: plan.OpMkdir, Path: "/etc/systemd/system/a.service.d", Mode: 0o755, Prior: plan.Prior{Kind: plan.KindAbsent}},
		newFile("/etc/systemd/system/a.service.d/initcompat.conf", "[Unit]\nAfter=b.service\n", 0o644, plan.Prior{Kind: plan.KindAbsent}),
		newFile("/etc/init.d/a", "#!/bin/sh\n# initcompat v2\n", 0o755, plan.Prior{Kind: plan.KindAbsent}),
		{Op: plan.OpMkdir, Path: "/var/lib/initcompat", Mode: 0o755, Prior: plan.Prior{Kind: plan.KindAbsent}},
		newFile(manifest, plan.ManifestHeader+", \"v\": 1}\n", 0o644, plan.Prior{Kind: plan.KindAbsent}),
	}}
}

// outcome is what one runner did to an image.
type outcome struct {
	err      error
	output   string   // the shell's stdout and stderr
	warnings []string // what it said it left in place
}

// runner is one of the protocol's two runners, with its recovery.
type runner struct {
	name    string
	apply   func(t *testing.T, dir string, p *plan.Plan, opts Options) outcome
	recover func(t *testing.T, dir string) outcome
}

// The shell runner twice: with util-linux's rename, as on most images
// (this machine's rename.ul), and without it, one mv a directory, as on
// Debian 11.
var runners = []runner{
	{"shell", shellApply, shellRecover},
	{"shell, mv a directory", func(t *testing.T, dir string, p *plan.Plan, opts Options) outcome {
		t.Setenv("INITCOMPAT_RENAMER", "")
		return shellApply(t, dir, p, opts)
	}, shellRecover},
	{"os.Root", rootApply, rootRecover},
}

func runSh(t *testing.T, dir, program string) outcome {
	t.Helper()
	cmd := exec.Command("sh", "-s")
	cmd.Env = append(os.Environ(), "INITCOMPAT_ROOT="+dir, "TMPDIR="+t.TempDir())
	cmd.Stdin = strings.NewReader(program)
	out, err := cmd.CombinedOutput()
	o := outcome{err: err, output: string(out)}
	for _, line := range strings.Split(o.output, "\n") {
		if w, ok := strings.CutPrefix(line, WarningPrefix); ok && strings.HasPrefix(w, "left ") {
			o.warnings = append(o.warnings, w)
		}
	}
	return o
}

func shellApply(t *testing.T, dir string, p *plan.Plan, opts Options) outcome {
	t.Helper()
	var b bytes.Buffer
	if err := WriteScript(&b, p, opts); err != nil {
		t.Fatal(err)
	}
	return runSh(t, dir, b.String())
}

func shellRecover(t *testing.T, dir string) outcome { return runSh(t, dir, RecoveryScript(testPlaces)) }

func rootApply(t *testing.T, dir string, p *plan.Plan, opts Options) outcome {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = root.Close() }()
	var o outcome
	opts.Warn = func(w string) { o.warnings = append(o.warnings, w) }
	o.err = Apply(context.Background(), root, p, opts)
	if o.err != nil {
		o.output = o.err.Error()
		if _, notes, ok := strings.Cut(o.output, "nothing was changed ("); ok {
			o.warnings = strings.Split(strings.TrimSuffix(notes, ")"), "; ")
		}
	}
	return o
}

func rootRecover(t *testing.T, dir string) outcome {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = root.Close() }()
	unlock, err := Lock(root)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	what, notes, err := Recover(root, testPlaces)
	return outcome{err: err, output: what, warnings: notes}
}

// fingerprint is every path of the image with its kind, mode and content
// or target, the lock aside (a killed shell leaves its lock, which the
// next run takes over; the os.Root runner's process lives on).
func fingerprint(t *testing.T, dir string) string {
	t.Helper()
	return treetest.Fingerprint(t, dir, LockPath)
}

// journalOf is the image's journal, "" when there is none.
func journalOf(dir string) string {
	data, _ := os.ReadFile(filepath.Join(dir, JournalPath))
	return string(data)
}

// testPlaces are where the test plans write: the table's places, not the
// registry's (package planner declares those, and TestRegistryPlaces holds
// them).
var testPlaces = plan.NewPlaces("/etc/init.d", "/etc/rc.d", "/etc/rcS.d", "/etc/rc0.d", "/etc/rc1.d", "/etc/rc2.d",
	"/etc/rc3.d", "/etc/rc4.d", "/etc/rc5.d", "/etc/rc6.d", "/etc/systemd/system", "/etc/init", "/etc/initcompat", "/usr/bin/systemctl")
