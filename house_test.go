package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/planner"
)

// The house's rules, read from the code itself (issue 35): a newcomer
// finds each idea in one room.

// ourGo lists the non-test Go files of the plugin (not third_party, the
// tools' and e2e's own modules), parsed.
func ourGo(t *testing.T) map[string]*ast.File {
	t.Helper()
	fset := token.NewFileSet()
	out := map[string]*ast.File{}
	for _, root := range []string{"initcompat", "provisioner", "internal", "version"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			out[p] = f
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// The top-level package is the flow only; the rooms are below it.
func TestHouseTopPackageIsSmall(t *testing.T) {
	files, err := filepath.Glob("initcompat/*.go")
	if err != nil {
		t.Fatal(err)
	}
	var own []string
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			own = append(own, f)
		}
	}
	if len(own) > 12 || len(own) == 0 {
		t.Errorf("initcompat/ holds %d non-test files (at most 12): %v", len(own), own)
	}
}

// No exported constant name is declared in two packages: one type for a
// plan, not a mirror with the same names.
func TestHouseOneNameOneConstant(t *testing.T) {
	where := map[string]map[string]bool{}
	for p, f := range ourGo(t) {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					if n.IsExported() {
						if where[n.Name] == nil {
							where[n.Name] = map[string]bool{}
						}
						where[n.Name][filepath.Dir(p)] = true
					}
				}
			}
		}
	}
	if len(where) < 20 {
		t.Fatalf("only %d exported constants found: the walk missed the code", len(where))
	}
	for name, pkgs := range where {
		if len(pkgs) > 1 {
			var list []string
			for p := range pkgs {
				list = append(list, p)
			}
			sort.Strings(list)
			t.Errorf("the constant %s is declared in %s", name, strings.Join(list, " and "))
		}
	}
}

// The places shims write are written once, in the registry's footprints:
// neither the protocol (Go or sh) nor the snapshot has a list of its own.
// A place only a footprint names (an rc directory of the redirects) is
// in one file of all the plugin's Go and shell.
func TestHousePlacesWrittenOnce(t *testing.T) {
	places := planner.Places()
	if len(places) < 5 {
		t.Fatalf("the registry declares %d places", len(places))
	}
	counts := map[string][]string{}
	err := filepath.WalkDir("initcompat", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "testdata") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		if !strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, ".sh") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, pl := range places {
			if strings.Contains(string(data), strconv.Quote(pl)) || (strings.HasSuffix(p, ".sh") && strings.Contains(string(data), pl)) {
				counts[pl] = append(counts[pl], p)
			}
		}
		// journal.sh held them as one regular expression.
		if strings.HasSuffix(p, ".sh") && regexp.MustCompile(`rc\[0-6\]|init\\\.d\|`).Match(data) {
			t.Errorf("%s spells the places as a pattern of its own", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, rl := range []string{"/etc/rc0.d", "/etc/rc6.d", "/etc/rcS.d"} {
		if files := counts[rl]; len(files) != 1 {
			t.Errorf("the place %s is spelt in %d files (want 1, its footprint): %v", rl, len(files), files)
		}
	}
	for pl, files := range counts {
		for _, f := range files {
			if strings.HasPrefix(f, filepath.Join("initcompat", "protocol")) || strings.HasPrefix(f, filepath.Join("initcompat", "tree")) {
				t.Errorf("%s names the place %s: the protocol and the snapshot take the registry's list", f, pl)
			}
		}
	}
}

// shellish is what a format that builds shell holds: a variable, an
// operator, a quoted verb, a redirection.
var shellish = regexp.MustCompile(`\$[{(A-Za-z0-9?@#*]|\|\||&&|'%[a-z]'|"%[a-z]"|[0-9]?>&[0-9]|>/dev/null|; do\b|\bfi\b|\besac\b`)

// No shell is built with fmt's formats: shell is code in files of its
// own, and what the plan gives it is data, quoted word by word.
func TestHouseNoShellFromFormats(t *testing.T) {
	calls := 0
	for p, f := range ourGo(t) {
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := c.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "fmt" || !strings.HasSuffix(sel.Sel.Name, "printf") && sel.Sel.Name != "Errorf" {
				return true
			}
			calls++
			for _, a := range c.Args {
				lit, ok := a.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				format, err := strconv.Unquote(lit.Value)
				if err == nil && shellish.MatchString(format) {
					t.Errorf("%s: fmt.%s builds shell from a format: %s", p, sel.Sel.Name, lit.Value)
				}
			}
			return true
		})
	}
	if calls < 20 {
		t.Fatalf("only %d fmt calls seen: the walk missed the code", calls)
	}
}
