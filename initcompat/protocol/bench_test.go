//go:build linux

package protocol

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
)

// BenchmarkApply holds both runners to what a user would otherwise reach
// for: a plain `tar -x` of the same files, links and directories, which
// checks nothing, journals nothing and cannot be rolled back. Every
// iteration applies the plan of n services to a fresh image with each of
// the three, in turn (so a drift of the machine's speed falls on all
// three alike), and reports the ratios: shell/tar-x is the remote
// transport's apply (the script rendered, then run by the machine's sh),
// os.Root/tar-x the root_dir transport's, shell/os.Root the one against
// the other. The bounds at 10,000: shell within 1.5x tar-x and
// 1.3x os.Root.
func BenchmarkApply(b *testing.B) {
	if _, err := exec.LookPath("tar"); err != nil {
		b.Skip("no tar to compare with")
	}
	// The payload gzip'd, as the plugin's plan has it wherever the image
	// has gzip (every image initcompat supports).
	gz, _ := exec.LookPath("gzip")
	for _, n := range []int{1000, 10000, 30000} {
		p := manyServices(n)
		p.Gzip = gz
		archive := tarOf(b, p)
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			var shell, root, untar time.Duration
			for b.Loop() {
				shell += timed(b, func(dir string) error { return benchShell(dir, p) })
				root += timed(b, func(dir string) error { return benchRoot(dir, p) })
				untar += timed(b, func(dir string) error { return benchTar(dir, archive) })
			}
			b.ReportMetric(float64(shell)/float64(untar), "shell/tar-x")
			b.ReportMetric(float64(root)/float64(untar), "os.Root/tar-x")
			b.ReportMetric(float64(shell)/float64(root), "shell/os.Root")
			b.ReportMetric(float64(untar.Milliseconds())/float64(b.N), "tar-x-ms/op")
		})
	}
}

// timed runs apply on a fresh image and returns how long it took; the
// image is made and removed outside the timing.
func timed(b *testing.B, apply func(dir string) error) time.Duration {
	b.StopTimer()
	dir := b.TempDir()
	for _, d := range []string{"etc/init.d", "etc/rc2.d", "etc/rc0.d", "etc/systemd/system", "var/lib/initcompat"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	syscall.Sync()
	b.StartTimer()
	start := time.Now()
	err := apply(dir)
	took := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, strings.TrimPrefix(manifest, "/"))); err != nil {
		b.Fatalf("the apply wrote no manifest: %v", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	// The removal's journal commit (and, on a file system mounted with
	// discard, its discards) is paid here, not by the next runner timed.
	syscall.Sync()
	b.StartTimer()
	return took
}

func benchShell(dir string, p *plan.Plan) error {
	var script bytes.Buffer
	if err := WriteScript(&script, p, Options{}); err != nil {
		return err
	}
	cmd := exec.Command("sh", "-s")
	cmd.Env = append(os.Environ(), "INITCOMPAT_ROOT="+dir)
	cmd.Stdin = &script
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("the shell runner: %w: %s", err, out)
	}
	return nil
}

func benchRoot(dir string, p *plan.Plan) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer func() { _ = root.Close() }()
	return Apply(context.Background(), root, p, Options{})
}

func benchTar(dir string, archive []byte) error {
	cmd := exec.Command("tar", "-xf", "-", "-C", dir)
	cmd.Stdin = bytes.NewReader(archive)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("tar -x: %w: %s", err, out)
	}
	return nil
}

// tarOf is the plan's directories, files and links as one archive, in the
// plan's order (a directory before what it holds).
func tarOf(b *testing.B, p *plan.Plan) []byte {
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, c := range p.Changes {
		h := &tar.Header{Name: "." + c.Path, Mode: int64(c.Mode)}
		switch c.Op {
		case plan.OpMkdir:
			h.Typeflag = tar.TypeDir
		case plan.OpSymlink:
			h.Typeflag, h.Linkname = tar.TypeSymlink, c.Target
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(c.Content))
		}
		if err := w.WriteHeader(h); err != nil {
			b.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := w.Write(c.Content); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
