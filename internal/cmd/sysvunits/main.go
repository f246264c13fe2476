// Command sysvunits writes the native units of package sysvunit into an
// image directory, for the booted matrix (e2e TestNativeUnitsMatrixBooted),
// which holds package sysvunit itself to the generator, unit by unit, over
// package sysvunittest's matrix of scripts; the booted stories take their
// units from the plugin (the sysv-native-unit shim). It is not
// the plugin, and has none of its guarantees (no manifest, no plan, no
// undo). It reads what
// systemd-sysv-generator read (the owner-executable regular files of
// /etc/init.d, the rc links, the native units by name) and writes
// /etc/systemd/system/NAME.service, the wants links the S links make (as
// systemctl enable makes them), the Provides alias links, and, when
// /etc/rc.local exists, rc-local.service with its link when rc.local is
// executable.
//
// With -matrix it first writes package sysvunittest's matrix of scripts
// into the image (with -units=false, only that).
//
//	go run ./internal/cmd/sysvunits -root DIR [-foreground NAME,...] [-debian] [-matrix] [-units=false]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/sysvunit"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/sysvunit/sysvunittest"
)

const marker = "# Written by initcompat's test helper (internal/cmd/sysvunits)"

func main() {
	root := flag.String("root", "", "the image directory")
	fg := flag.String("foreground", "", "comma-separated script names whose daemon stays in the foreground")
	debian := flag.Bool("debian", false, "add Debian's rc-local.service drop-in settings")
	matrix := flag.Bool("matrix", false, "write sysvunittest's matrix of init scripts into the image first")
	units := flag.Bool("units", true, "write the units")
	aliasDir := flag.String("alias-dir", "/etc/systemd/system", "where the Provides alias links go (absolute, inside the image)")
	flag.Parse()
	if *root == "" {
		fmt.Fprintln(os.Stderr, "usage: sysvunits -root DIR [-foreground a,b] [-debian]")
		os.Exit(2)
	}
	if *matrix {
		if err := sysvunittest.Write(*root); err != nil {
			fmt.Fprintln(os.Stderr, "sysvunits:", err)
			os.Exit(1)
		}
	}
	if !*units {
		return
	}
	if err := run(*root, strings.Split(*fg, ","), *debian, *aliasDir); err != nil {
		fmt.Fprintln(os.Stderr, "sysvunits:", err)
		os.Exit(1)
	}
}

func run(root string, fg []string, debian bool, aliasDir string) error {
	etc := filepath.Join(root, "etc/systemd/system")
	unitDirs := []string{etc, filepath.Join(root, "usr/lib/systemd/system"), filepath.Join(root, "lib/systemd/system")}
	initd := filepath.Join(root, "etc/init.d")
	ents, err := os.ReadDir(initd)
	if err != nil {
		return err
	}
	var scripts []sysvunit.Script
	for _, e := range ents {
		fi, err := os.Stat(filepath.Join(initd, e.Name()))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o100 == 0 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(initd, e.Name()))
		if err != nil {
			return err
		}
		scripts = append(scripts, sysvunit.Script{Path: "/etc/init.d/" + e.Name(), Data: data})
	}
	var links []sysvunit.Link
	for _, rl := range []string{"1", "2", "3", "4", "5"} {
		es, _ := os.ReadDir(filepath.Join(root, "etc", "rc"+rl+".d"))
		for _, e := range es {
			links = append(links, sysvunit.Link{Runlevel: rl, Name: e.Name()})
		}
	}
	foreground := map[string]bool{}
	for _, n := range fg {
		if n != "" {
			foreground[n+".service"] = true
		}
	}
	res := sysvunit.Generate(scripts, links, sysvunit.Options{
		Native: func(u string) bool {
			for _, d := range unitDirs {
				if _, err := os.Lstat(filepath.Join(d, u)); err == nil {
					return true
				}
			}
			return false
		},
		Foreground: func(u, _ string) bool { return foreground[u] },
	})
	for _, s := range res.Skipped {
		fmt.Printf("skipped %s %s: %s\n", s.Script, s.Name, s.Reason)
	}
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return err
	}
	for _, u := range res.Units {
		if err := os.WriteFile(filepath.Join(etc, u.Name), sysvunit.Render(u, marker), 0o644); err != nil {
			return err
		}
		for _, t := range u.Enabled {
			if err := link(filepath.Join(etc, t+".wants", u.Name), "/etc/systemd/system/"+u.Name); err != nil {
				return err
			}
		}
		for _, a := range u.Aliases {
			target := u.Name
			if aliasDir != "/etc/systemd/system" {
				target = "/etc/systemd/system/" + u.Name
			}
			if err := link(filepath.Join(root, aliasDir, a), target); err != nil {
				return err
			}
		}
		fmt.Printf("wrote %s (enabled in %s; aliases %s)\n", u.Name, strings.Join(u.Enabled, " "), strings.Join(u.Aliases, " "))
	}
	rc := filepath.Join(root, strings.TrimPrefix(sysvunit.RCLocalPath, "/"))
	if fi, err := os.Stat(rc); err == nil {
		if err := os.WriteFile(filepath.Join(etc, "rc-local.service"), sysvunit.RCLocal(marker, debian), 0o644); err != nil {
			return err
		}
		if fi.Mode()&0o111 != 0 {
			if err := link(filepath.Join(etc, "multi-user.target.wants/rc-local.service"), "/etc/systemd/system/rc-local.service"); err != nil {
				return err
			}
		}
		fmt.Println("wrote rc-local.service")
	}
	return nil
}

func link(p, target string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	_ = os.Remove(p)
	return os.Symlink(target, p)
}
