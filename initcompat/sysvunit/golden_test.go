package sysvunit

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the want members of testdata/*.txtar")

// Marker is the marker line the golden cases render with.
const testMarker = "# Written by initcompat (test)"

// A case is a txtar archive: a comment saying what it shows; the scripts
// as "etc/init.d/NAME" members; "links", one rc entry a line ("2
// S01hello"); "native" and "foreground", one unit name a line; and "want",
// the units Generate makes and Render writes, their enablement and aliases,
// and what was skipped. -update rewrites "want".
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("only %d cases", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := runCase(ar)
			i := slices.IndexFunc(ar.Files, func(f txtar.File) bool { return f.Name == "want" })
			if *update {
				if i < 0 {
					ar.Files = append(ar.Files, txtar.File{Name: "want"})
					i = len(ar.Files) - 1
				}
				ar.Files[i].Data = got
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if i < 0 {
				t.Fatal("no want member (run with -update)")
			}
			if want := ar.Files[i].Data; !bytes.Equal(got, want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func runCase(ar *txtar.Archive) []byte {
	var scripts []Script
	var links []Link
	sets := map[string]map[string]bool{"native": {}, "foreground": {}}
	for _, f := range ar.Files {
		switch {
		case strings.HasPrefix(f.Name, "etc/init.d/"):
			scripts = append(scripts, Script{Path: "/" + f.Name, Data: f.Data})
		case f.Name == "links":
			for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
				if rl, name, ok := strings.Cut(strings.TrimSpace(l), " "); ok {
					links = append(links, Link{Runlevel: rl, Name: name})
				}
			}
		case sets[f.Name] != nil:
			for _, n := range strings.Fields(string(f.Data)) {
				sets[f.Name][n] = true
			}
		}
	}
	res := Generate(scripts, links, Options{
		Native:     func(u string) bool { return sets["native"][u] },
		Foreground: func(u, _ string) bool { return sets["foreground"][u] },
	})
	var b bytes.Buffer
	for _, u := range res.Units {
		fmt.Fprintf(&b, "== %s (priority %d) enabled in: %s; aliases: %s\n", u.Name, u.Priority, strings.Join(u.Enabled, " "), strings.Join(u.Aliases, " "))
		b.Write(Render(u, testMarker))
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(&b, "skipped %s %s: %s\n", s.Script, s.Name, s.Reason)
	}
	return b.Bytes()
}
