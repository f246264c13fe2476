//go:build unix

package provisioner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A template_file is read as a regular file only, at most CloudFormation's
// 1 MB, and never past the build's context (issue 34, item 7: a link to
// /dev/zero was read without bound, a FIFO held the build past its
// timeout). Each is refused before the image is read, naming the file.
func TestCfnInitTemplateFileMustBeARegularFile(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.yaml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("Resources: {}\n"+strings.Repeat("#", 1<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir.yaml")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		zero: "is a character device, not a regular file",
		fifo: "is a FIFO, not a regular file",
		big:  "holds more than 1048576 bytes, the most CloudFormation takes",
		sub:  "is a directory, not a regular file",
	} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			img := helloImage(t)
			before := fingerprint(t, img)
			p := new(Provisioner)
			if err := p.Prepare(map[string]interface{}{"root_dir": img, "cfn_init": []map[string]interface{}{{"template_file": file}}}); err != nil {
				t.Fatal(err)
			}
			// The build's own deadline is far; reaching it means the read hung.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := p.Provision(ctx, newRecordUI(t), nil, nil)
			if err == nil || !strings.Contains(err.Error(), want) || ctx.Err() != nil {
				t.Fatalf("got %v (context: %v), want %q", err, ctx.Err(), want)
			}
			if fingerprint(t, img) != before {
				t.Fatal("the image changed")
			}
		})
	}
}

// A read that has not finished when the build is cancelled gives up with
// the cancellation.
func TestCfnInitTemplateReadIsCancelled(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.yaml")
	if err := os.WriteFile(file, []byte("Resources: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 20 {
		// The read may win the race with the cancelled context; it must
		// never block, and either answer is whole.
		data, err := readTemplate(ctx, file)
		switch {
		case err == nil && string(data) != "Resources: {}\n":
			t.Fatalf("read %q", data)
		case err != nil && !strings.Contains(err.Error(), "context canceled"):
			t.Fatalf("got %v", err)
		}
	}
}
