//go:build linux

package provisioner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
)

// 30,000 services over the remote transport (the real scripts, run by the
// local sh): dash once segfaulted parsing the apply, which held every step
// in one function. The apply completes, its script holds no function
// bigger than its fixed code, and a second run finds nothing to do.
func TestRemoteApply30000Services(t *testing.T) {
	if testing.Short() || raceOn {
		t.Skip("30,000 services take minutes, tens of them under -race: make bench runs it")
	}
	dir := manyServices(t, 30000)
	// A real image has gzip; the payload is compressed as it would be.
	if err := os.WriteFile(filepath.Join(dir, "usr/bin/gzip"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &remote{comm: &shellComm{Root: dir}, command: shell}
	pl := planFor(t, r)
	if len(pl.Changes) < 30000 || pl.Gzip == "" {
		t.Fatalf("%d changes, gzip %q", len(pl.Changes), pl.Gzip)
	}
	var size countWriter
	if err := protocol.WriteScript(&size, pl, protocol.Options{}); err != nil {
		t.Fatal(err)
	}
	if size.longest == 0 || size.longest > 60 {
		t.Fatalf("the apply script's longest function is %d lines", size.longest)
	}
	if err := r.Apply(context.Background(), pl, protocol.Options{}); err != nil {
		t.Fatalf("%.2000v", err)
	}
	again := planFor(t, r)
	if len(again.Changes) != 0 {
		t.Fatalf("a second run plans %d changes:\n%.2000s", len(again.Changes), again.Text())
	}
	t.Logf("%d changes; apply script %d MB", len(pl.Changes), size.n>>20)
}

// countWriter counts what is written to it, and keeps track of the
// longest function: the apply script's functions are its fixed code.
type countWriter struct {
	n       int64
	line    []byte
	inFunc  int
	longest int
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	for _, b := range p {
		if b != '\n' {
			if len(c.line) < 64 {
				c.line = append(c.line, b)
			}
			continue
		}
		l := string(c.line)
		c.line = c.line[:0]
		switch {
		case strings.HasSuffix(l, "() {"):
			c.inFunc = 1
		case l == "}":
			c.longest, c.inFunc = max(c.longest, c.inFunc), 0
		case c.inFunc > 0:
			c.inFunc++
		}
	}
	return len(p), nil
}
