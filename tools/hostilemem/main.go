//go:build linux

// Command hostilemem measures what a hostile image's sheer number of
// watched paths costs the plugin (issue 34 item 6): an image with N unit
// files in /etc/systemd/system (empty, or one line each) is planned
// through the real Provisioner with root_dir, in a process of its own,
// and the plugin's peak RSS (VmHWM) is printed with bytes a path.
//
//	go run ./tools/hostilemem -n 1000000 -kind empty [-keep DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"

	"github.com/initcompat/packer-plugin-initcompat/provisioner"
)

func main() {
	n := flag.Int("n", 1000000, "number of unit files")
	kind := flag.String("kind", "empty", "empty, oneline ([Unit] on one line), or jobs, scripts, links (empty Upstart jobs in /etc/init, empty init scripts in /etc/init.d, rc links in /etc/rc2.d)")
	dirs := flag.Int("dirs", 1, "spread the files over this many unit directories (at most 4: /etc, /run, /usr/local/lib and /usr/lib's systemd/system)")
	keep := flag.String("keep", "", "generate the image here (once) and keep it")
	mode := flag.String("mode", "plan", "the provisioner's mode")
	phase := flag.Bool("phase", false, "internal: provision in this process")
	flag.Parse()
	if *phase {
		os.Exit(provision(flag.Arg(0), *mode))
	}
	dir := *keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "hostilemem")
		if err != nil {
			fail(err)
		}
		defer func() { _ = os.RemoveAll(tmp) }()
		dir = tmp
	}
	if err := generate(dir, *n, *kind, *dirs); err != nil {
		fail(err)
	}
	self, _ := os.Executable()
	cmd := exec.Command(self, "-phase", "-mode", *mode, dir)
	out, err := cmd.CombinedOutput()
	fmt.Print(string(out))
	if err != nil {
		fail(err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "@@hwm "); ok {
			kib, _ := strconv.Atoi(v)
			fmt.Printf("%d %s files in %d directories, mode %s: peak RSS %d MiB, %d bytes a path\n", *n, *kind, *dirs, *mode, kib>>10, int64(kib)<<10/int64(*n))
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "hostilemem:", err)
	os.Exit(1)
}

// generate writes a small systemd image with n files of kind, unless
// dir already holds them.
func generate(dir string, n int, kind string, dirs int) error {
	places := []string{"etc/systemd/system", "run/systemd/system", "usr/local/lib/systemd/system", "usr/lib/systemd/system"}[:max(1, min(dirs, 4))]
	name, content, link := "u%07d.service", []byte{}, ""
	switch kind {
	case "oneline":
		content = []byte("[Unit]\n")
	case "jobs":
		places, name = []string{"etc/init"}, "j%07d.conf"
	case "scripts":
		places, name = []string{"etc/init.d"}, "s%07d"
	case "links":
		places, name, link = []string{"etc/rc2.d"}, "S01s%07d", "../init.d/s"
	}
	last := filepath.Join(dir, places[len(places)-1], fmt.Sprintf(name, (n-1)/len(places)))
	if _, err := os.Lstat(last); err == nil {
		return nil
	}
	for _, d := range append([]string{"etc/init.d", "var/lib", "usr/lib/systemd/system", "usr/bin", "usr/sbin"}, places...) {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	for p, data := range map[string]string{"etc/os-release": "ID=debian\nVERSION_ID=\"12\"\n", "usr/lib/systemd/systemd": "", "usr/bin/systemctl": ""} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(data), 0o755); err != nil {
			return err
		}
	}
	_ = os.Symlink("usr/lib", filepath.Join(dir, "lib"))
	_ = os.Symlink("usr/sbin", filepath.Join(dir, "sbin"))
	var wg sync.WaitGroup
	errs := make(chan error, runtime.NumCPU())
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += runtime.NumCPU() {
				p := filepath.Join(dir, places[i%len(places)], fmt.Sprintf(name, i/len(places)))
				var err error
				if link != "" {
					err = os.Symlink(link, p)
				} else {
					err = os.WriteFile(p, content, 0o755)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// provision plans the image at root once, as a build would, and prints
// the process's resident high-water mark (KiB).
func provision(root, mode string) int {
	log.SetOutput(io.Discard)
	if f := os.Getenv("HOSTILEMEM_PROFILE"); f != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			if out, err := os.Create(f); err == nil {
				runtime.GC()
				_ = pprof.Lookup("heap").WriteTo(out, 0)
				_ = out.Close()
			}
		}()
	}
	p := new(provisioner.Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": root, "mode": mode, "verify": false}); err != nil {
		fmt.Println(err)
		return 1
	}
	err := p.Provision(context.Background(), nullUI{}, nil, map[string]interface{}{"ConnType": "none"})
	if err != nil {
		fmt.Println("provision:", strings.SplitN(err.Error(), "\n", 2)[0])
	}
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				fmt.Printf("@@hwm %s\n", strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			}
		}
	}
	return 0
}

// nullUI says nothing: the plan of a million paths is not the measure.
type nullUI struct{}

func (nullUI) Ask(string) (string, error)                                        { return "", nil }
func (nullUI) Askf(string, ...any) (string, error)                               { return "", nil }
func (nullUI) Say(string)                                                        {}
func (nullUI) Sayf(string, ...any)                                               {}
func (nullUI) Message(string)                                                    {}
func (nullUI) Error(string)                                                      {}
func (nullUI) Errorf(string, ...any)                                             {}
func (nullUI) Machine(string, ...string)                                         {}
func (nullUI) TrackProgress(_ string, _, _ int64, s io.ReadCloser) io.ReadCloser { return s }
