package tree

import (
	"archive/tar"
	"bytes"
	"fmt"
	"testing"
)

// Reading the snapshot stream of an image with 1,000 unit files and their
// wants links, as the remote transport receives it.
func BenchmarkFromTar1000(b *testing.B) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: StatFile, Typeflag: tar.TypeReg, Mode: 0o600, Size: 0})
	unit := []byte("[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n")
	for i := 0; i < 1000; i++ {
		name := fmt.Sprintf("etc/systemd/system/svc%04d.service", i)
		_ = tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(unit))})
		_, _ = tw.Write(unit)
		_ = tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("etc/systemd/system/multi-user.target.wants/svc%04d.service", i),
			Typeflag: tar.TypeSymlink, Linkname: "/" + name})
	}
	_ = tw.Close()
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t, err := FromTar(bytes.NewReader(data), 0)
		if err != nil || t.Len() != 2000 {
			b.Fatalf("%v, %d entries", err, t.Len())
		}
	}
}

// tarOfBytes is a one-member archive.
func tarOfBytes(name, content string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o600, Size: int64(len(content))})
	_, _ = tw.Write([]byte(content))
	_ = tw.Close()
	return buf.Bytes()
}
