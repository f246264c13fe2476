package cfn

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestTemplatePatterns reads templates written to reproduce what real
// templates do (each case's comment cites where the pattern occurs). A
// case holds one template member and "want" members: "want" for cfn-init
// run without --configsets, "want SET" for config_sets = [SET]. A want is
// the services, one per line (each followed by its "  when: " notes), or
// "error: " and a part of the message, then the notes on entries cfn-init
// skips ("note: line N: ..."). A "params" member holds the
// cfn_init block's parameters, one KEY=VALUE a line.
func TestTemplatePatterns(t *testing.T) {
	files, err := filepath.Glob("testdata/patterns/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no pattern cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var tmpl *Template
			params := map[string]string{}
			wants := 0
			for _, f := range ar.Files {
				if strings.HasPrefix(f.Name, "template.") {
					if tmpl, err = ParseTemplate(f.Name, f.Data); err != nil {
						t.Fatal(err)
					}
				}
				if f.Name == "params" {
					for _, l := range strings.Fields(string(f.Data)) {
						k, v, _ := strings.Cut(l, "=")
						params[k] = v
					}
				}
			}
			for _, f := range ar.Files {
				name, set, _ := strings.Cut(f.Name, " ")
				if name != "want" {
					continue
				}
				wants++
				var sets []string
				if set != "" {
					sets = []string{set}
				}
				svcs, notes, err := FromTemplate(tmpl, "", sets, params)
				want := strings.TrimSpace(string(f.Data))
				if msg, isErr := strings.CutPrefix(want, "error: "); isErr {
					if err == nil || !strings.Contains(err.Error(), msg) {
						t.Errorf("%s: error %v, want one containing %q", f.Name, err, msg)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				var got []string
				for _, s := range svcs {
					got = append(got, s.Key+":"+s.Name+"@"+s.Resource+"/"+s.Config+" enabled="+str(s.Enabled)+" running="+str(s.EnsureRunning))
					for _, w := range s.When {
						got = append(got, "  when: "+w)
					}
				}
				for _, n := range notes {
					got = append(got, fmt.Sprintf("note: line %d: %s", n.Line, n.Message))
				}
				if g := strings.Join(got, "\n"); g != want {
					t.Errorf("%s:\n%s\nwant:\n%s", f.Name, g, want)
				}
			}
			if wants == 0 {
				t.Fatal("the case has no want member")
			}
		})
	}
}
