//go:build linux

package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"

	"mvdan.cc/sh/v3/syntax"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// manyServices is a plan of n services' worth of changes: a script, its
// rc links and a drop-in directory each, in the directories a real plan
// writes.
func manyServices(n int) *plan.Plan {
	p := &plan.Plan{Places: testPlaces, ManifestPath: manifest}
	for i := range n {
		name := fmt.Sprintf("svc%d", i)
		p.Changes = append(p.Changes,
			newFile("/etc/init.d/"+name, "#!/bin/sh\n# initcompat\nexec systemctl \"$1\" "+name+".service\n", 0o755, plan.Prior{Kind: plan.KindAbsent}),
			plan.Change{Op: plan.OpSymlink, Path: "/etc/rc2.d/S01" + name, Target: "../init.d/" + name, Prior: plan.Prior{Kind: plan.KindAbsent}},
			plan.Change{Op: plan.OpSymlink, Path: "/etc/rc0.d/K01" + name, Target: "../init.d/" + name, Prior: plan.Prior{Kind: plan.KindAbsent}},
			plan.Change{Op: plan.OpMkdir, Path: "/etc/systemd/system/" + name + ".service.d", Mode: 0o755, Prior: plan.Prior{Kind: plan.KindAbsent}},
			newFile("/etc/systemd/system/"+name+".service.d/initcompat.conf", "[Unit]\nAfter=cloud-final.service\n", 0o644, plan.Prior{Kind: plan.KindAbsent}))
	}
	p.Changes = append(p.Changes, newFile(manifest, plan.ManifestHeader+"}\n", 0o644, plan.Prior{Kind: plan.KindAbsent}))
	return p
}

func render(t *testing.T, p *plan.Plan, opts Options) string {
	t.Helper()
	var b strings.Builder
	if err := WriteScript(&b, p, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The paths and words the shell spells out are the Go constants.
func TestEmbeddedScriptsAgreeWithGo(t *testing.T) {
	for _, want := range []string{
		`J="$R` + JournalPath + `"`, `L="$R` + LockPath + `"`, `B="$R` + BaselinePath + `"`,
		"/" + stageDir + "/", "/" + asideDir + "/", `echo "` + RecoveredPrefix,
	} {
		if !strings.Contains(shellLib, want) {
			t.Errorf("lib.sh lacks %q", want)
		}
	}
	if !strings.Contains(applySh, endToken) {
		t.Errorf("apply.sh does not check the end token %q", endToken)
	}
	if !strings.Contains(tree.SnapshotScript(nil), "-C \"$tmp\" "+tree.StatFile) {
		t.Errorf("snapshot.sh does not archive %s", tree.StatFile)
	}
}

// dataOf splits an apply script's data into its chunks, by file.
func dataOf(t *testing.T, script string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	rest := script
	for {
		i := strings.Index(rest, "\nput ")
		if i < 0 {
			return out
		}
		rest = rest[i+len("\nput "):]
		file, body, ok := strings.Cut(rest, " <<'"+dataEnd+"'\n")
		end := strings.Index(body, "\n"+dataEnd+"\n")
		if !ok || end < 0 {
			t.Fatalf("a chunk of %s is not closed", file)
		}
		out[file] = append(out[file], body[:end+1])
		rest = body[end:]
	}
}

// With chunks far smaller than a plan, every chunk of the steps is whole
// commands (a chunk that ended inside one would run its tail as a command
// of its own), and the chunks add up to the same data as one chunk does.
func TestApplyChunksEndBetweenCommands(t *testing.T) {
	p := manyServices(40)
	whole := render(t, p, Options{})
	defer func(n int) { chunkSize = n }(chunkSize)
	chunkSize = 300
	small := render(t, p, Options{})
	one, many := dataOf(t, whole), dataOf(t, small)
	if len(one["ops"]) != 1 || len(many["ops"]) < 20 || len(many["payload.0"]) < 5 {
		t.Fatalf("%d and %d chunks of steps, %d of payload", len(one["ops"]), len(many["ops"]), len(many["payload.0"]))
	}
	parser := syntax.NewParser(syntax.Variant(syntax.LangPOSIX))
	for i, c := range many["ops"] {
		f, err := parser.Parse(strings.NewReader(c), "chunk")
		if err != nil {
			t.Fatalf("chunk %d of the steps is not whole commands: %v\n%s", i, err, c)
		}
		if n := strings.Count(c, "\n"); len(f.Stmts) != n && !strings.Contains(c, "trap ''") {
			t.Fatalf("chunk %d: %d commands on %d lines", i, len(f.Stmts), n)
		}
	}
	for _, file := range []string{"ops", "journal", "payload.0"} {
		if strings.Join(one[file], "") != strings.Join(many[file], "") {
			t.Errorf("the %s data differs when chunked", file)
		}
	}
}

// A fault goes only where the shell runner stops between steps alike with
// the os.Root runner: never inside the tar that stages every file, nor
// inside one mv of many renames.
func TestFaultsOnlyAtBoundaries(t *testing.T) {
	p := manyServices(3)
	steps, err := Steps(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at, err := Boundaries(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	on := map[int]bool{}
	for _, i := range at {
		on[i] = true
	}
	refused := 0
	for i, s := range steps {
		_, err := func() (string, error) {
			var b strings.Builder
			return "", WriteScript(&b, p, Options{Fault: &Fault{At: i, Kind: FaultFail}})
		}()
		if on[i] != (err == nil) {
			t.Errorf("step %d (%s %s): a boundary %v, rendered with a fault: %v", i, s.Op, s.Path, on[i], err)
		}
		if err != nil {
			refused++
		}
		if on[i] && (isCheck(s.Op) || s.Op == StepWrite || s.Op == StepSymlink && i > 0 && steps[i-1].Op == StepSymlink) {
			t.Errorf("step %d (%s) is no boundary of the shell runner", i, s.Op)
		}
	}
	// The journal's three states, the one mkdir of the stage directories
	// (the tars that then stage every file, and the directories the plan
	// makes, are no boundary), the one rename command of the commit, the
	// finish.
	var ops []string
	for _, i := range at {
		ops = append(ops, strings.TrimSpace(string(steps[i].Op)+" "+steps[i].State))
	}
	if want := "journal begin, mkdir, journal commit, rename, journal done, finish"; strings.Join(ops, ", ") != want || refused == 0 {
		t.Fatalf("boundaries %q, want %q; %d steps refused, of %d", ops, want, refused, len(steps))
	}
	script := render(t, p, Options{Fault: &Fault{At: at[2], Kind: FaultKill}})
	if strings.Count(script, "kill -KILL $$") != 1 {
		t.Error("the kill is not in the script once")
	}
}

// Interrupted while its tars unpack the payload's parts at once, the shell
// ends them before its recovery removes what they write into: it says so,
// exits 129, and the image is as it was, and stays so (a tar left running
// would make its stage directory again). Under dash (Debian's sh) and
// bash (RHEL's and Amazon Linux's): $! of a pipeline must be its last
// process, the tar, in both.
func TestShellInterruptedWhileUnpacking(t *testing.T) {
	if testing.Short() {
		t.Skip("stages thousands of files; make test runs it")
	}
	for _, sh := range []string{"dash", "bash"} {
		if _, err := exec.LookPath(sh); err != nil {
			t.Logf("no %s here", sh)
			continue
		}
		t.Run(sh, func(t *testing.T) { interruptWhileUnpacking(t, sh) })
	}
}

func interruptWhileUnpacking(t *testing.T, sh string) {
	dir := t.TempDir()
	for _, d := range []string{"etc/init.d", "etc/rc2.d", "etc/rc0.d", "etc/systemd/system", "var/lib/initcompat"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	before := fingerprint(t, dir)
	var script bytes.Buffer
	if err := WriteScript(&script, manyServices(4000), Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(script.String(), "\nunpack 4 ") {
		t.Fatal("the payload is not in four parts")
	}
	cmd := exec.Command(sh, "-s")
	cmd.Env = append(os.Environ(), "INITCOMPAT_ROOT="+dir)
	cmd.Stdin = &script
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once the tars are under way: staged files in two stage directories.
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		a, _ := os.ReadDir(filepath.Join(dir, "etc/init.d", stageDir))
		b, _ := os.ReadDir(filepath.Join(dir, "etc/systemd/system", stageDir))
		if len(a) > 0 && len(b) > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 129 || !strings.Contains(out.String(), "interrupted") {
		t.Fatalf("want exit 129 and \"interrupted\": %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), CompletedToken) {
		t.Fatal("the apply completed before the signal; nothing was interrupted")
	}
	time.Sleep(300 * time.Millisecond)
	if got := fingerprint(t, dir); got != before {
		t.Fatalf("the image after the interrupted apply:\n%.2000s\nwant:\n%s", got, before)
	}
}
