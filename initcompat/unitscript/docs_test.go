package unitscript

import (
	"os"
	"strings"
	"testing"
)

const docsPath = "../../docs/provisioners/initcompat.mdx"

// MappingTable is the docs' table of the unit-to-LSB mapping, made from
// Rules: the renderer and the docs read the same rows.
func MappingTable() string {
	var b strings.Builder
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("\n| unit settings | systemd | the init script | sources |\n|---|---|---|---|\n")
	for _, r := range Rules {
		b.WriteString("| " + cell(r.Settings) + " | " + cell(r.Systemd) + " | " + cell(r.SysV) + " | " + cell(r.Sources) + " |\n")
	}
	b.WriteString("\n")
	return b.String()
}

// TestDocsMappingTable holds the provisioner docs' table to the rules, word for
// word (-update rewrites the table between its markers).
func TestDocsMappingTable(t *testing.T) {
	data, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	begin := strings.Index(doc, "<!-- BEGIN unit-to-lsb table")
	end := strings.Index(doc, "<!-- END unit-to-lsb table -->")
	if begin < 0 || end < begin {
		t.Fatalf("%s: the table markers are missing", docsPath)
	}
	begin += strings.Index(doc[begin:], "\n") + 1
	want := MappingTable()
	if doc[begin:end] == want {
		return
	}
	if *update {
		if err := os.WriteFile(docsPath, []byte(doc[:begin]+want+doc[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the table differs from the rules (go test ./initcompat/unitscript -run TestDocsMappingTable -update)\n--- want\n%s--- have\n%s", docsPath, want, doc[begin:end])
}
