package upstartunit

import (
	"flag"
	"os"
	"strings"
	"testing"
)

const docsPath = "../../docs/provisioners/initcompat.mdx"

// TestDocsMappingTable holds the docs' Upstart mapping tables to the rule
// tables the translation runs, word for word (-update rewrites them).
func TestDocsMappingTable(t *testing.T) {
	data, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	begin := strings.Index(doc, "<!-- BEGIN mapping tables")
	end := strings.Index(doc, "<!-- END mapping tables -->")
	if begin < 0 || end < begin {
		t.Fatalf("%s: the mapping table markers are missing", docsPath)
	}
	begin += strings.Index(doc[begin:], "\n") + 1
	want := mappingTables()
	if doc[begin:end] == want {
		return
	}
	if *update {
		if err := os.WriteFile(docsPath, []byte(doc[:begin]+want+doc[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the mapping tables differ from the rules (go test ./initcompat/upstartunit -run TestDocsMappingTable -update)\n--- want\n%s--- have\n%s", docsPath, want, doc[begin:end])
}

func mappingTables() string {
	var b strings.Builder
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("\n| stanza | Upstart | unit |\n|---|---|---|\n")
	for _, r := range stanzaRules {
		b.WriteString("| `" + strings.ReplaceAll(r.stanzas, ", ", "`, `") + "` | " + cell(r.upstart) + " | " + cell(r.systemd) + " |\n")
	}
	b.WriteString("\n| event | Upstart emits it when | unit |\n|---|---|---|\n")
	for _, r := range eventRules {
		b.WriteString("| `" + strings.ReplaceAll(r.events, ", ", "`, `") + "` | " + cell(r.upstart) + " | " + cell(r.systemd) + " |\n")
	}
	b.WriteString("| any other event | a custom event (`initctl emit`), or none at all | **not translated**: written with `WantedBy=multi-user.target`, not enabled |\n\n")
	return b.String()
}

var update = flag.Bool("update", false, "rewrite the docs' mapping tables")
