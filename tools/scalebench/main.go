//go:build !windows

// Command scalebench measures the plugin at scale, each phase in a process
// of its own (a cold process, as Packer starts the plugin for every
// build): an image with N enabled hand-installed services is planned
// fresh, applied, planned again (nothing to do), and planned with one
// service added. It drives the real Provisioner (Prepare, Provision) with
// root_dir, or with a communicator that runs the real remote scripts with
// the local sh, and prints wall time, the UI calls made, and the peak RSS
// of each phase's plugin process and of the processes it started (with the
// remote transport, the remote side: sh, tar, gzip, verify's tools: the
// largest of them by GNU time, and all of them at once by PSS).
//
// A tenth of the services, by default, are hand-written init scripts with
// rc links: the image's systemd has no systemd-sysv-generator (systemd 260
// and later), so each gets a native unit and its wants links.
//
//	go run ./tools/scalebench -n 10000 [-scripts 1000] [-transport remote] [-keep DIR]
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
	"sync/atomic"
	"syscall"
	"time"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/initcompat/packer-plugin-initcompat/internal/shellcomm"
	"github.com/initcompat/packer-plugin-initcompat/provisioner"
)

func main() {
	n := flag.Int("n", 10000, "number of services")
	scripts := flag.Int("scripts", -1, "how many of them are hand-written init scripts (default n/10)")
	transport := flag.String("transport", "local", "local (root_dir) or remote (the remote scripts, run by the local sh)")
	keep := flag.String("keep", "", "generate the image here and keep it")
	phase := flag.String("phase", "", "internal: run one phase in this process")
	root := flag.String("root", "", "internal: the image")
	mode := flag.String("mode", "apply", "internal: the provisioner's mode")
	flag.Parse()
	if *phase != "" {
		os.Exit(runPhase(*root, *mode, *transport))
	}
	dir := *keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "scalebench")
		if err != nil {
			fail(err)
		}
		defer func() { _ = os.RemoveAll(tmp) }()
		dir = tmp
	}
	if *scripts < 0 {
		*scripts = *n / 10
	}
	*scripts = min(*scripts, *n)
	if err := generate(dir, *n-*scripts, *scripts); err != nil {
		fail(err)
	}
	fmt.Printf("%d services (%d of them init scripts), %s transport\n", *n, *scripts, *transport)
	// peak RSS is the rusage of the phase's tree (the plugin's own, as a
	// child started by Go is charged its parent's size: see measuredComm);
	// plugin RSS is the plugin process's own high-water mark; shell RSS,
	// with the remote transport, the largest of the remote commands (sh and
	// what it ran, measured by GNU time when /usr/bin/time is there); both
	// their sum; shell PSS, the whole remote process tree at its peak
	// (sampleTree: the phase's descendants, not the phase itself).
	fmt.Printf("%-10s %9s %12s %12s %12s %12s %14s %9s %s\n", "phase", "wall", "peak RSS", "plugin RSS", "shell RSS", "both", "shell PSS", "UI calls", "result")
	for _, p := range []struct{ name, mode string }{
		{"fresh", "plan"}, {"apply", "apply"}, {"second", "apply"}, {"plus-one", "plan"},
	} {
		if p.name == "plus-one" {
			if err := addService(dir, *n); err != nil {
				fail(err)
			}
		}
		self, _ := os.Executable()
		cmd := exec.Command(self, "-phase", p.name, "-root", dir, "-mode", p.mode, "-transport", *transport)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Start()
		tree := -1
		switch {
		case err == nil && *transport != "local":
			// Sampled from here: a sampler in the phase's process would
			// add its garbage to the plugin's peak.
			stop := make(chan struct{})
			peak := sampleTree(cmd.Process.Pid, stop)
			err = cmd.Wait()
			close(stop)
			tree = <-peak
		case err == nil:
			err = cmd.Wait()
		}
		wall := time.Since(start)
		rss := int64(0)
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss // KiB on Linux
		}
		result, own, shells := peaks(out.String())
		if err != nil {
			result = "FAILED: " + result
		}
		both := "-"
		if own >= 0 && shells >= 0 {
			both = strconv.Itoa((own + shells) / 1024)
		}
		fmt.Printf("%-10s %8.2fs %9.0f MiB %9s MiB %9s MiB %9s MiB %11s MiB %s\n", p.name, wall.Seconds(), float64(rss)/1024, mib(own), mib(shells), both, mib(tree), result)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "scalebench:", err)
	os.Exit(1)
}

// runPhase provisions the image once, as a build would, and prints the UI
// calls it made and the plan's size.
func runPhase(root, mode, transport string) int {
	if f := os.Getenv("SCALEBENCH_PROFILE"); f != "" {
		out, err := os.Create(f)
		if err == nil && pprof.StartCPUProfile(out) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if f := os.Getenv("SCALEBENCH_MEMPROFILE"); f != "" {
		runtime.MemProfileRate = 4096
		defer func() {
			if out, err := os.Create(f); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(out, 0)
				_ = out.Close()
			}
		}()
	}
	if os.Getenv("SCALEBENCH_LOG") == "" {
		log.SetOutput(io.Discard) // the plugin's debug log
	}
	p := new(provisioner.Provisioner)
	raw := map[string]interface{}{"mode": mode}
	generated := map[string]interface{}{"User": "root"}
	var comm packersdk.Communicator
	shells := ""
	if transport == "local" {
		raw["root_dir"] = root
		generated["ConnType"] = "none"
	} else {
		comm = &shellcomm.Comm{Root: root}
		if _, err := os.Stat(gnuTime); err == nil {
			shells = root + ".shells"
			_ = os.Remove(shells)
			defer func() { _ = os.Remove(shells) }()
			comm = measuredComm{Comm: &shellcomm.Comm{Root: root}, out: shells}
		}
		raw["use_sudo"] = false
		generated["ConnType"] = "ssh"
	}
	if err := p.Prepare(raw); err != nil {
		fmt.Println(err)
		return 1
	}
	ui := &countUI{}
	defer printPeaks(shells)
	if err := p.Provision(context.Background(), ui, comm, generated); err != nil {
		fmt.Println(err)
		return 1 // the profile is not needed for a failed phase
	}
	fmt.Printf("%9d %s", ui.calls.Load(), ui.last.Load())
	return 0
}

// printPeaks prints, on lines of their own for the parent to take out of
// the output, the process's resident high-water mark (VmHWM) and, with
// the remote transport, the largest remote command's (what measuredComm
// recorded in shells), both in KiB.
func printPeaks(shells string) {
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				fmt.Printf("\n@@hwm %s\n", strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			}
		}
	}
	if shells != "" {
		fmt.Printf("\n@@children %d\n", shellPeak(shells))
	}
}

// peaks takes printPeaks' lines out of a phase's output and gives the
// figures in KiB (-1 without them).
func peaks(out string) (rest string, own, children int) {
	own, children = -1, -1
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "@@hwm "); ok {
			if kib, err := strconv.Atoi(v); err == nil {
				own = kib
			}
			continue
		}
		if v, ok := strings.CutPrefix(l, "@@children "); ok {
			if kib, err := strconv.Atoi(v); err == nil {
				children = kib
			}
			continue
		}
		keep = append(keep, l)
	}
	return strings.TrimSpace(strings.Join(keep, "\n")), own, children
}

// mib shows a KiB figure in MiB ("-" when it is missing).
func mib(kib int) string {
	if kib < 0 {
		return "-"
	}
	return strconv.Itoa(kib / 1024)
}

// countUI counts the UI calls, keeping the last headline.
type countUI struct {
	calls atomic.Int64
	last  atomic.Value
}

func (u *countUI) say(s string) {
	u.calls.Add(1)
	if os.Getenv("SCALEBENCH_SHOW") != "" {
		fmt.Fprintln(os.Stderr, s)
	}
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		s = s[i+1:]
	}
	u.last.Store(s)
}
func (u *countUI) Ask(string) (string, error)                                        { return "", nil }
func (u *countUI) Askf(string, ...any) (string, error)                               { return "", nil }
func (u *countUI) Say(s string)                                                      { u.say(s) }
func (u *countUI) Sayf(f string, a ...any)                                           { u.say(fmt.Sprintf(f, a...)) }
func (u *countUI) Message(s string)                                                  { u.say(s) }
func (u *countUI) Error(s string)                                                    { u.say(s) }
func (u *countUI) Errorf(f string, a ...any)                                         { u.say(fmt.Sprintf(f, a...)) }
func (u *countUI) Machine(string, ...string)                                         {}
func (u *countUI) TrackProgress(_ string, _, _ int64, s io.ReadCloser) io.ReadCloser { return s }

// generate writes a Debian-like image with n enabled custom units and
// scripts enabled hand-written init scripts.
func generate(dir string, n, scripts int) error {
	for _, d := range []string{"etc/init.d", "etc/systemd/system/multi-user.target.wants", "usr/lib/systemd/system", "usr/sbin", "usr/bin", "var/lib",
		"etc/rc0.d", "etc/rc1.d", "etc/rc2.d", "etc/rc3.d", "etc/rc4.d", "etc/rc5.d", "etc/rc6.d"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	files := map[string]string{
		"etc/os-release":                           "ID=debian\nVERSION_ID=\"12\"\n",
		"usr/lib/systemd/systemd":                  "",
		"usr/sbin/update-rc.d":                     "",
		"usr/bin/systemctl":                        "",
		"usr/lib/systemd/system/multi-user.target": "[Unit]\nDescription=Multi-User System\n",
	}
	for p, c := range files {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o755); err != nil {
			return err
		}
	}
	for _, l := range [][2]string{{"lib", "usr/lib"}, {"sbin", "usr/sbin"}, {"bin", "usr/bin"}} {
		if err := os.Symlink(l[1], filepath.Join(dir, l[0])); err != nil && !os.IsExist(err) {
			return err
		}
	}
	for i := 0; i < n; i++ {
		if err := addService(dir, i); err != nil {
			return err
		}
	}
	for i := 0; i < scripts; i++ {
		if err := addScript(dir, i); err != nil {
			return err
		}
	}
	return nil
}

// addScript writes an init script with an LSB header and the rc links
// update-rc.d NAME defaults makes.
func addScript(dir string, i int) error {
	name := fmt.Sprintf("script%05d", i)
	script := fmt.Sprintf("#!/bin/sh\n### BEGIN INIT INFO\n# Provides: %s\n# Required-Start: $remote_fs $network\n# Required-Stop: $remote_fs\n"+
		"# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n# Short-Description: script %d\n### END INIT INFO\n"+
		"case \"$1\" in\nstart) start-stop-daemon --start --background --exec /usr/local/bin/svc -- %d ;;\nstop) start-stop-daemon --stop --exec /usr/local/bin/svc ;;\nesac\n", name, i, i)
	if err := os.WriteFile(filepath.Join(dir, "etc/init.d", name), []byte(script), 0o755); err != nil {
		return err
	}
	for _, rl := range "0123456" {
		kind := "K"
		if rl >= '2' && rl <= '5' {
			kind = "S"
		}
		link := filepath.Join(dir, "etc", "rc"+string(rl)+".d", kind+"01"+name)
		if err := os.Symlink("../init.d/"+name, link); err != nil && !os.IsExist(err) {
			return err
		}
	}
	return nil
}

func addService(dir string, i int) error {
	name := fmt.Sprintf("svc%05d.service", i)
	unit := fmt.Sprintf("[Unit]\nDescription=service %d\nAfter=network-online.target\n\n[Service]\nExecStart=/usr/local/bin/svc %d\n\n[Install]\nWantedBy=multi-user.target\n", i, i)
	if err := os.WriteFile(filepath.Join(dir, "etc/systemd/system", name), []byte(unit), 0o644); err != nil {
		return err
	}
	link := filepath.Join(dir, "etc/systemd/system/multi-user.target.wants", name)
	if err := os.Symlink("/etc/systemd/system/"+name, link); err != nil && !os.IsExist(err) {
		return err
	}
	return nil
}
