package protocol

import (
	"fmt"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// manyServices is a plan of n services' worth of changes: a script, its
// rc links and a drop-in directory each, in the directories a real plan
// writes.
func manyServices(n int) *Plan {
	p := &Plan{Manifest: manifest}
	for i := range n {
		name := fmt.Sprintf("svc%d", i)
		p.Changes = append(p.Changes,
			newFile("/etc/init.d/"+name, "#!/bin/sh\n# initcompat\nexec systemctl \"$1\" "+name+".service\n", 0o755, Prior{Kind: KindAbsent}),
			Change{Op: OpSymlink, Path: "/etc/rc2.d/S01" + name, Target: "../init.d/" + name, Prior: Prior{Kind: KindAbsent}},
			Change{Op: OpSymlink, Path: "/etc/rc0.d/K01" + name, Target: "../init.d/" + name, Prior: Prior{Kind: KindAbsent}},
			Change{Op: OpMkdir, Path: "/etc/systemd/system/" + name + ".service.d", Mode: 0o755, Prior: Prior{Kind: KindAbsent}},
			newFile("/etc/systemd/system/"+name+".service.d/initcompat.conf", "[Unit]\nAfter=cloud-final.service\n", 0o644, Prior{Kind: KindAbsent}))
	}
	p.Changes = append(p.Changes, newFile(manifest, ManifestHeader+"}\n", 0o644, Prior{Kind: KindAbsent}))
	return p
}

func render(t *testing.T, p *Plan, opts Options) string {
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
	if len(one["ops"]) != 1 || len(many["ops"]) < 20 || len(many["payload"]) < 5 {
		t.Fatalf("%d and %d chunks of steps, %d of payload", len(one["ops"]), len(many["ops"]), len(many["payload"]))
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
	for _, file := range []string{"ops", "journal", "payload"} {
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
	// The journal's three states, the one tar that stages (and makes the
	// directories the plan makes, staged), the one rename command of the
	// commit, the finish.
	var ops []string
	for _, i := range at {
		ops = append(ops, strings.TrimSpace(string(steps[i].Op)+" "+steps[i].State))
	}
	if want := "journal begin, journal commit, rename, journal done, finish"; strings.Join(ops, ", ") != want || refused == 0 {
		t.Fatalf("boundaries %q, want %q; %d steps refused, of %d", ops, want, refused, len(steps))
	}
	script := render(t, p, Options{Fault: &Fault{At: at[2], Kind: FaultKill}})
	if strings.Count(script, "kill -KILL $$") != 1 {
		t.Error("the kill is not in the script once")
	}
}
