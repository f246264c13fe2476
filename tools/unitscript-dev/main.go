// Command unitscript-dev writes the init scripts initcompat/unitscript makes
// for the named services into a root file system, with their rc links: the
// booted SysV tests' stand-in for the init-script shim until the planner
// has it (issue 31, phase 2). It prints each finding.
//
//	go run ./tools/unitscript-dev -root DIR hello caddy
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/unitscript"
)

func main() {
	root := flag.String("root", "", "the image's root directory")
	print := flag.Bool("print", false, "print the scripts instead of writing them")
	flag.Parse()
	if err := run(*root, *print, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "unitscript-dev:", err)
		os.Exit(1)
	}
}

func run(root string, print bool, names []string) error {
	t, err := tree.FromDir(root, initcompat.Watches(plan.Policy{}), 0)
	if err != nil {
		return err
	}
	s := systemd.NewStore(t)
	has := func(n string) bool {
		if _, ok := t.Lstat("/etc/init.d/" + n); ok {
			return true
		}
		for _, m := range names {
			if m == n {
				return true
			}
		}
		return false
	}
	for _, name := range names {
		u := s.Load(name + ".service")
		if u == nil {
			return fmt.Errorf("no unit %s.service", name)
		}
		en := s.Enablement(name + ".service")
		res := unitscript.Render(unitscript.Input{
			Name: name, Unit: u, Sources: s.Sources(u), Enabled: en.State == systemd.Enabled || len(en.Wants) > 0,
			HasScript: has, Marker: "# initcompat unitscript-dev (a test's stand-in for the init-script shim)",
		})
		for _, f := range res.Findings {
			fmt.Fprintln(os.Stderr, f)
		}
		if res.Skipped() {
			return fmt.Errorf("%s: not converted", name)
		}
		if print {
			os.Stdout.Write(res.Script)
			continue
		}
		p := filepath.Join(root, res.Path)
		if err := os.WriteFile(p, res.Script, 0o755); err != nil {
			return err
		}
		for _, l := range res.Links {
			dir := filepath.Join(root, "etc", "rc"+l.Runlevel+".d")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			matches, _ := filepath.Glob(filepath.Join(dir, "[SK][0-9][0-9]"+name))
			for _, old := range matches {
				_ = os.Remove(old)
			}
			if err := os.Symlink(l.Target, filepath.Join(dir, l.Name)); err != nil {
				return err
			}
		}
		fmt.Fprintf(os.Stderr, "wrote %s and %s\n", res.Path, strings.Join(linkNames(res), " "))
	}
	return nil
}

func linkNames(r unitscript.Result) []string {
	var out []string
	for _, l := range r.Links {
		out = append(out, "rc"+l.Runlevel+".d/"+l.Name)
	}
	return out
}
