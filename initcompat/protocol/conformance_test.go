//go:build linux

package protocol

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
)

// One contract, two runners (as go-containerregistry's validate holds
// every backend to one): the same plan, fault or kill gives the same
// image and the same journal from the shell runner (the real script, the
// machine's sh) and from the os.Root runner, and each one's recovery then
// gives the same image, which is the image before or the complete one.

// row is one case of the table: an image, a plan, what is done to the
// image between the plan and the apply, and how the apply is broken.
type row struct {
	name  string
	image func() map[string]node
	plan  func() *plan.Plan
	opts  Options
	// meddle changes the image after the plan (a build racing this one).
	meddle func(t *testing.T, dir string)
	// after runs once the apply stopped, before the recovery.
	after func(t *testing.T, dir string)
	// want says what must have happened, "" for a complete apply.
	want string
	// warn is a word every runner's warnings must hold, "" for none.
	warn string
	// full puts the image on a file system of 64 KiB (root: a tmpfs).
	full bool
	// umask is the process's while the runners apply (0: as it is): the
	// plan's modes are the image's whatever the Packer host's umask.
	umask int
}

func put(p, content string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// table is every row: each plan whole, then failed, hung up on, terminated
// and killed before every step both runners stop at alike.
func table(t *testing.T) []row {
	rows := []row{
		{name: "apply", image: baseImage, plan: applyPlan},
		{name: "remove", image: baseImage, plan: removePlan},
		{name: "held for verify", image: baseImage, plan: applyPlan, opts: Options{Hold: true}, want: "held"},
		// A full disk, for real: the staged files do not fit.
		{name: "disk full", image: baseImage, plan: bigPlan, full: true, want: "no space left on device"},
		{name: "prior changed", image: baseImage, plan: applyPlan, meddle: put("/etc/init.d/old", "edited by hand\n"), want: "changed since the snapshot"},
		{name: "path appeared", image: baseImage, plan: applyPlan, meddle: put("/etc/rc2.d/S01a", "mine\n"), want: "changed since the snapshot"},
		// Issue 23: what the snapshot never saw in a directory initcompat
		// made is neither removed nor taken along; the directory stays,
		// named.
		{name: "remove keeps what it never saw", image: baseImage, plan: removePlan,
			meddle: put("/etc/systemd/system/gone.service.d/local.conf", "[Unit]\n"), warn: "gone.service.d in place: it holds what initcompat did not make: local.conf"},
	}
	rows = append(rows, row{name: "fresh", image: freshImage, plan: freshPlan})
	// Issue 34 item 8: under umask 077 the os.Root runner made the plan's
	// 0755 directories 0700 (a translated unit's ExecStartPre as
	// User=nobody then met "Permission denied"); the shell sets its own.
	rows = append(rows,
		row{name: "apply under umask 077", image: baseImage, plan: applyPlan, umask: 0o077},
		row{name: "fresh under umask 077", image: freshImage, plan: freshPlan, umask: 0o077})
	for _, p := range []struct {
		name  string
		image func() map[string]node
		plan  func() *plan.Plan
	}{{"apply", baseImage, applyPlan}, {"remove", baseImage, removePlan}, {"fresh", freshImage, freshPlan}} {
		steps, err := Steps(p.plan(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		at, err := Boundaries(p.plan(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(at) < 5 {
			t.Fatalf("%s: only %d boundaries: %v", p.name, len(at), at)
		}
		for _, i := range at {
			s := steps[i]
			done := s.Op == StepFinish || (s.Op == StepJournal && s.State == JournalDone)
			kinds := []FaultKind{FaultFail, FaultKill}
			if p.name == "apply" {
				// The shell's traps; the os.Root runner fails the step.
				kinds = append(kinds, FaultHangup, FaultTerm)
			}
			for _, k := range kinds {
				if k != FaultKill && done {
					continue // the image is complete by then: nothing rolls back
				}
				rows = append(rows, row{name: fmt.Sprintf("%s %s at step %d (%s %s)", p.name, k, i, s.Op, s.State),
					image: p.image, plan: p.plan, opts: Options{Fault: &Fault{At: i, Kind: k}}, want: map[bool]string{true: "killed", false: "failed"}[k == FaultKill]})
			}
		}
	}
	// Killed once the commit put the drop-in directory in place (it is
	// staged whole, and renamed in): a file put in it then is not the
	// protocol's, so the rollback leaves it, and the directory.
	steps, _ := Steps(applyPlan(), Options{})
	for i, s := range steps {
		if s.Op == StepJournal && s.State == JournalDone {
			rows = append(rows, row{name: "rollback keeps what it never made", image: baseImage, plan: applyPlan,
				opts: Options{Fault: &Fault{At: i, Kind: FaultKill}}, after: put("/etc/systemd/system/a.service.d/local.conf", "[Unit]\n"),
				want: "killed", warn: "a.service.d in place: it holds what initcompat did not make: local.conf"})
			break
		}
	}
	return rows
}

func TestRunnersConform(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh to run the shell runner with")
	}
	hangupsReachShells(t)
	for _, r := range table(t) {
		t.Run(r.name, func(t *testing.T) { conform(t, r) })
	}
	if testing.Short() {
		return // make check; make test runs what follows
	}
	// The payload in parts, unpacked at once, as a plan of thousands of
	// entries is: the same images, undone alike.
	t.Run("in parts", func(t *testing.T) {
		defer func(n int) { minPartEntries = n }(minPartEntries)
		minPartEntries = 1
		for _, r := range table(t) {
			if r.opts.Fault == nil {
				t.Run(r.name, func(t *testing.T) { conform(t, r) })
			}
		}
	})
	// Two names a command: the commit and the mkdirs have boundaries
	// inside, where a kill leaves them part done (a plan of more than
	// perCommand names does so for real), and both runners' recoveries
	// must undo that alike.
	defer func(n int) { perCommand = n }(perCommand)
	perCommand = 2
	for _, r := range table(t) {
		if r.opts.Fault != nil && r.opts.Fault.Kind == FaultKill {
			t.Run("two names a command/"+r.name, func(t *testing.T) { conform(t, r) })
		}
	}
}

// state is what a runner left: the image, the journal, then the image its
// recovery left, and what each said it left in place.
type state struct {
	before, stopped, journal, recovered string
	warnings                            []string
}

func conform(t *testing.T, r row) {
	clean := ""
	if r.want != "" {
		c := makeImage(t, r.image())
		if o := rootApply(t, c, r.plan(), Options{}); o.err != nil {
			t.Fatal(o.err)
		}
		clean = fingerprint(t, c)
	}
	var got []state
	for _, run := range runners {
		dir := ""
		if r.full {
			dir = fullImage(t, r.image())
		} else {
			dir = makeImage(t, r.image())
		}
		if r.meddle != nil {
			r.meddle(t, dir)
		}
		s := state{before: fingerprint(t, dir)}
		restore := setUmask(t, r.umask)
		o := run.apply(t, dir, r.plan(), r.opts)
		restore()
		checkOutcome(t, run.name, r, o)
		s.stopped, s.journal, s.warnings = fingerprint(t, dir), journalOf(dir), o.warnings
		if r.after != nil {
			r.after(t, dir)
		}
		rec := run.recover(t, dir)
		if rec.err != nil {
			t.Fatalf("%s: recovery: %v\n%s", run.name, rec.err, rec.output)
		}
		s.warnings = append(s.warnings, rec.warnings...)
		s.recovered = fingerprint(t, dir)
		if (r.want == "failed" || r.full) && s.stopped != s.before {
			t.Errorf("%s: a failed apply changed the image:\n%s\n---\n%s", run.name, s.before, s.stopped)
		}
		if r.want != "" && r.after == nil && s.recovered != s.before && s.recovered != clean {
			t.Errorf("%s: recovered to neither the image before nor the complete one:\n%s", run.name, s.recovered)
		}
		if r.warn != "" && !strings.Contains(strings.Join(s.warnings, "\n"), r.warn) {
			t.Errorf("%s: warnings %q lack %q", run.name, s.warnings, r.warn)
		}
		got = append(got, s)
	}
	// Every runner against the first (this compared the first two, the
	// shell's two ways, and never the os.Root runner).
	a := got[0]
	for i, b := range got[1:] {
		name := runners[i+1].name
		if a.stopped != b.stopped {
			t.Errorf("the runners stopped at different images:\nshell:\n%s\n%s:\n%s", a.stopped, name, b.stopped)
		}
		if a.journal != b.journal {
			t.Errorf("the runners left different journals:\nshell:\n%s\n%s:\n%s", a.journal, name, b.journal)
		}
		if a.recovered != b.recovered {
			t.Errorf("the recoveries gave different images:\nshell:\n%s\n%s:\n%s", a.recovered, name, b.recovered)
		}
		if !reflect.DeepEqual(a.warnings, b.warnings) {
			t.Errorf("the runners warned differently:\nshell:   %q\n%s: %q", a.warnings, name, b.warnings)
		}
	}
}

// checkOutcome holds one runner's result to what the row wants.
func checkOutcome(t *testing.T, name string, r row, o outcome) {
	t.Helper()
	switch r.want {
	case "", "held":
		if o.err != nil {
			t.Fatalf("%s: %v\n%s", name, o.err, o.output)
		}
		token := CompletedToken
		if r.want == "held" {
			token = HeldToken
		}
		if name == "shell" && !strings.Contains(o.output, token) {
			t.Fatalf("%s: no %s:\n%s", name, token, o.output)
		}
	case "killed":
		if o.err == nil || strings.Contains(o.output, CompletedToken) {
			t.Fatalf("%s: not stopped: %v\n%s", name, o.err, o.output)
		}
	default:
		if o.err == nil || !strings.Contains(o.output, r.want) && !strings.Contains(o.output, "injected fault") && !strings.Contains(o.output, "interrupted") {
			t.Fatalf("%s: want %q: %v\n%s", name, r.want, o.err, o.output)
		}
		if r.full && !strings.Contains(strings.ToLower(o.output), "no space left on device") {
			t.Fatalf("%s: the disk was not full:\n%s", name, o.output)
		}
		if name == "shell" && !strings.Contains(o.output, "nothing was changed") && !strings.Contains(o.output, "interrupted") {
			t.Fatalf("%s: does not say it undid the apply:\n%s", name, o.output)
		}
	}
}

// bigPlan is applyPlan with a file larger than a full disk's room.
func bigPlan() *plan.Plan {
	p := applyPlan()
	big := newFile("/etc/init.d/big", "#!/bin/sh\n# initcompat\n"+strings.Repeat("# padding to fill the disk\n", 10000), 0o755, plan.Prior{Kind: plan.KindAbsent})
	p.Changes = append([]plan.Change{big}, p.Changes...)
	return p
}

// fullImage is the image on a tmpfs of 64 KiB of its own: writing the
// staged files meets ENOSPC, as on a full disk.
func fullImage(t *testing.T, nodes map[string]node) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("INITCOMPAT_E2E") == "1" {
			t.Fatal("mounting a small tmpfs needs root")
		}
		t.Skip("mounting a small tmpfs needs root")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	src := makeImage(t, nodes)
	if out, err := exec.Command("cp", "-a", src+"/.", mnt+"/").CombinedOutput(); err != nil {
		t.Fatalf("filling the tmpfs: %v: %s", err, out)
	}
	return mnt
}

// hangupsReachShells undoes nohup for the shells the test starts: a
// process started with SIGHUP ignored passes that on through exec, and a
// non-interactive sh cannot trap a signal ignored on entry (POSIX, "trap"),
// so the HUP rows would find the apply run to its end (seen with .ci/run
// under nohup). A signal the Go runtime handles is reset to its default in
// a child, and Notify makes it handled for the test's time.
func hangupsReachShells(t *testing.T) {
	if !signal.Ignored(syscall.SIGHUP) {
		return
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	t.Cleanup(func() { signal.Stop(c) })
}
