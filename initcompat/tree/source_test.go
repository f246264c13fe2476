package tree

import (
	"archive/tar"
	"bytes"
	"strings"
	"testing"
)

func tarOf(t *testing.T, members ...*tar.Header) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range members {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			_, _ = tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
		}
	}
	_ = tw.Close()
	return &buf
}

func TestFromTarCapsAndRejects(t *testing.T) {
	stat := &tar.Header{Name: StatFile, Typeflag: tar.TypeReg, Size: 0, Mode: 0o600}
	tr, err := FromTar(tarOf(t, stat,
		&tar.Header{Name: "etc/big", Typeflag: tar.TypeReg, Size: 2048, Mode: 0o644},
		&tar.Header{Name: "etc/small", Typeflag: tar.TypeReg, Size: 10, Mode: 0o755},
	), 1024)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := tr.Lstat("/etc/big"); !e.TooLarge || e.Data != nil || e.Size != 2048 {
		t.Errorf("over-cap file kept: %+v", e)
	}
	if e, _ := tr.Lstat("/etc/small"); len(e.Data) != 10 || !e.Executable() {
		t.Errorf("small file: %+v", e)
	}
	if _, err := FromTar(tarOf(t, stat, &tar.Header{Name: "../etc/x", Typeflag: tar.TypeReg}), 0); err == nil {
		t.Error("a member outside the root was accepted")
	}
	if _, err := FromTar(tarOf(t, &tar.Header{Name: "etc/x", Typeflag: tar.TypeReg}), 0); err == nil || !strings.Contains(err.Error(), StatFile) {
		t.Errorf("a stream without the stat list: %v", err)
	}
}

func TestStatListLines(t *testing.T) {
	tr := New()
	if err := tr.addStatList([]byte("l\tsbin\tusr/sbin\nx\tusr/bin/systemctl\nd\trun/systemd/system\nf\tetc/inittab\n")); err != nil {
		t.Fatal(err)
	}
	if e, _ := tr.Lstat("/sbin"); e.Kind != Symlink || e.Target != "usr/sbin" {
		t.Errorf("/sbin: %+v", e)
	}
	if e, _ := tr.Lstat("/usr/bin/systemctl"); !e.Executable() || !e.Omitted {
		t.Errorf("systemctl: %+v", e)
	}
	if err := New().addStatList([]byte("q\tweird\n")); err == nil {
		t.Error("a malformed stat line was accepted")
	}
}
