//go:build linux

package upstartunit

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// The real Upstart as the parser's oracle: every Upstart job of the golden
// cases, as the case's tree has it and again with the overrides the plan
// writes, is read by a session-mode Upstart 1.13.2 (init --user
// --no-startup-event: init/parse_job.c as PID 1 runs it, starting nothing)
// and by initcompat; they must agree on whether the job loads and on the
// events of its start on and stop on (initctl show-config -e). Upstart's
// initctl says nothing of task, respawn, expect or instance, so those are
// not compared here; the booted e2e tests see respawn and task at work.
//
// It needs the Upstart that e2e builds (make e2e runs this test through
// TestUpstartParserOracle): INITCOMPAT_UPSTART_ROOT, or the e2e cache.
func TestUpstartOracle(t *testing.T) {
	built := oracleUpstart(t)
	cases, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*.txtar"))
	bases := map[string][]txtar.File{}
	for _, b := range []string{"trusty", "debian", "rhel", "bookworm-cloud"} {
		ar, err := txtar.ParseFile(filepath.Join("..", "testdata", "base", b+".txtar"))
		if err != nil {
			t.Fatal(err)
		}
		bases[b] = ar.Files
	}
	jobs := 0
	for _, file := range cases {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, stage := range []string{"tree", "out"} {
			dir := jobDir(t, bases, ar, stage == "out")
			if dir == "" {
				continue
			}
			jobs += compareJobs(t, built, file+" ("+stage+")", dir)
		}
	}
	jobs += compareValues(t, built)
	if jobs < 60 {
		t.Fatalf("only %d jobs compared", jobs)
	}
	t.Logf("%d jobs: initcompat and Upstart %s agree", jobs, "1.13.2")
}

// jobDir writes the case's /etc/init (its base's, then its tree's, then,
// with out, the files the plan writes there) into a directory; "" when the
// case has no job.
func jobDir(t *testing.T, bases map[string][]txtar.File, ar *txtar.Archive, out bool) string {
	t.Helper()
	files := map[string][]byte{}
	take := func(fs []txtar.File, prefix string) {
		for _, f := range fs {
			name := strings.TrimPrefix(f.Name, prefix)
			if !strings.HasPrefix(f.Name, prefix) || strings.Contains(name, " -> ") {
				continue
			}
			del := strings.HasPrefix(name, "!")
			name = strings.TrimSuffix(strings.TrimPrefix(name, "!"), " [x]")
			if dir, base := filepath.Split(name); dir == "etc/init/" && (strings.HasSuffix(base, ".conf") || strings.HasSuffix(base, ".override")) {
				if del {
					delete(files, base)
				} else {
					files[base] = f.Data
				}
			}
		}
	}
	for _, f := range ar.Files {
		if f.Name == "base" {
			take(bases[strings.TrimSpace(string(f.Data))], "")
		}
	}
	take(ar.Files, "tree/")
	if out {
		n := len(files)
		take(ar.Files, "out/")
		if len(files) == n && !slices.ContainsFunc(ar.Files, func(f txtar.File) bool { return strings.HasPrefix(f.Name, "out/etc/init/") }) {
			return "" // the plan writes nothing there: the tree stage said it all
		}
	}
	if len(files) == 0 {
		return ""
	}
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// upstartEvent is "  start on NAME (job: JOB, env: ARGS)" of show-config -e.
var upstartEvent = regexp.MustCompile(`^  (start|stop) on (\S+) \(job:(.*), env:(.*)\)$`)

// compareJobs asks Upstart and initcompat about every job of dir.
func compareJobs(t *testing.T, built, what, dir string) int {
	t.Helper()
	s := startOracle(t, built, dir)
	defer s.stop()
	confs, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	for _, conf := range confs {
		name := strings.TrimSuffix(filepath.Base(conf), ".conf")
		out, err := s.initctl("show-config", "-e", name)
		ours, perr := pluginReading(conf)
		switch {
		case err != nil && perr == nil:
			t.Errorf("%s: %s: Upstart rejects the job (%s; %s), initcompat reads it", what, name, strings.TrimSpace(out), s.log(name))
			continue
		case err == nil && perr != nil:
			t.Errorf("%s: %s: initcompat rejects the job (%v), Upstart reads it:\n%s", what, name, perr, out)
			continue
		case err != nil:
			continue // both reject it
		}
		var theirs []string
		for _, l := range strings.Split(out, "\n") {
			if m := upstartEvent.FindStringSubmatch(l); m != nil {
				theirs = append(theirs, m[1]+" "+m[2]+" "+words(m[3]+" "+m[4]))
			}
		}
		if !slices.Equal(ours, theirs) {
			t.Errorf("%s: %s: initcompat reads\n  %s\nUpstart (show-config -e):\n  %s", what, name, strings.Join(ours, "\n  "), strings.Join(theirs, "\n  "))
		}
	}
	return len(confs)
}

// pluginReading is initcompat's reading of a job with its override (as the
// planner's jobMemo.load reads it: a refused .conf is no job, a refused
// override keeps its stanzas before the refused line): the events of start
// on and stop on with their arguments, as show-config -e lists them.
func pluginReading(conf string) ([]string, error) {
	read := func(p string) ([]*upstart.Stanza, error) {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		return upstart.Parse(p, data)
	}
	c, err := read(conf)
	if err != nil {
		return nil, err
	}
	over := strings.TrimSuffix(conf, ".conf") + ".override"
	var o []*upstart.Stanza
	if _, serr := os.Stat(over); serr == nil {
		o, err = read(over)
		if len(upstart.ParseErrors(err)) == 0 && err != nil {
			return nil, err
		}
		if o == nil {
			o = []*upstart.Stanza{}
		}
	}
	j := upstart.Merge(strings.TrimSuffix(filepath.Base(conf), ".conf"), c, o)
	var out []string
	for _, kind := range []string{"start", "stop"} {
		s := j.Get(kind + " on")
		if s == nil {
			continue // or a manual after it undid it: Merge holds the job as Upstart does
		}
		evs, _ := eventsOf(s)
		for _, e := range evs {
			args := slices.Clone(e.pos)
			for k, v := range e.match {
				if strings.HasSuffix(k, "!") {
					args = append(args, strings.TrimSuffix(k, "!")+"!="+v)
				} else {
					args = append(args, k+"="+v)
				}
			}
			out = append(out, kind+" "+e.name+" "+words(strings.Join(args, " ")))
		}
	}
	return out, nil
}

// words sorts the words of s: Upstart prints a job event's first argument
// as "job:", initcompat keeps it positional; the set is what both mean.
func words(s string) string {
	f := strings.Fields(s)
	slices.Sort(f)
	return strings.Join(f, " ")
}

// oracleUpstart finds the built Upstart, skipping (failing under
// INITCOMPAT_E2E=1 / PACKER_ACC=1) when there is none.
func oracleUpstart(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("INITCOMPAT_UPSTART_ROOT")
	if dir == "" {
		dir = "/var/cache/initcompat-e2e/upstart-1.13.2"
		if _, err := os.Stat(dir + ".ok"); err != nil {
			dir = ""
		}
	}
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "usr/sbin/init")); err == nil {
			return dir
		}
	}
	msg := "no built Upstart (e2e's TestUpstartParserOracle builds it; or set INITCOMPAT_UPSTART_ROOT)"
	if os.Getenv("INITCOMPAT_E2E") == "1" || os.Getenv("PACKER_ACC") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

type oracle struct {
	built, logFile string
	env            []string
	cmd            *exec.Cmd
	done           chan struct{}
}

// startOracle runs a session-mode init over dir until initctl answers.
func startOracle(t *testing.T, built, dir string) *oracle {
	t.Helper()
	runtime := t.TempDir()
	s := &oracle{built: built, logFile: filepath.Join(runtime, "init.log"), done: make(chan struct{})}
	base := []string{"LD_LIBRARY_PATH=" + filepath.Join(built, "usr/lib"), "XDG_RUNTIME_DIR=" + runtime, "HOME=" + runtime, "LANG=C", "PATH=/usr/bin:/bin"}
	logf, err := os.Create(s.logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = logf.Close() }()
	s.cmd = exec.Command(filepath.Join(built, "usr/sbin/init"), "--user", "--confdir", dir, "--logdir", runtime, "--no-startup-event")
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = base, logf, logf
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("init --user: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	session := filepath.Join(runtime, "upstart", "sessions", strconv.Itoa(s.cmd.Process.Pid)+".session")
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		data, _ := os.ReadFile(session)
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "UPSTART_SESSION=") {
				s.env = append(slices.Clone(base), l)
				if _, err := s.initctl("version"); err == nil {
					return s
				}
			}
		}
	}
	s.stop()
	t.Fatalf("init --user over %s did not answer in 20s: %s", dir, s.log(""))
	return nil
}

func (s *oracle) initctl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, filepath.Join(s.built, "usr/sbin/initctl"), args...)
	c.Env = s.env
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return out.String(), err
	}
	return out.String(), err
}

// log is what init said about the job (its parse errors), or all of it.
func (s *oracle) log(job string) string {
	data, _ := os.ReadFile(s.logFile)
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && (job == "" || strings.Contains(l, "/"+job+".")) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}

func (s *oracle) stop() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// compareValues reads each line of upstart/testdata/values.txt as a job:
// Upstart and initcompat must agree on whether it loads, and the file's
// verdict must be Upstart's.
func compareValues(t *testing.T, built string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "upstart", "testdata", "values.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	verdicts := map[string]string{}
	for i, l := range strings.Split(string(data), "\n") {
		verdict, line, ok := strings.Cut(l, " ")
		if !ok || (verdict != "ok" && verdict != "refused") {
			continue
		}
		name := "v" + strconv.Itoa(i)
		verdicts[name] = l
		if err := os.WriteFile(filepath.Join(dir, name+".conf"), []byte("exec /bin/true\n"+line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := startOracle(t, built, dir)
	defer s.stop()
	for name, l := range verdicts {
		_, err := s.initctl("status", name)
		if upstartTakes := err == nil; upstartTakes != strings.HasPrefix(l, "ok ") {
			t.Errorf("values.txt says %q; Upstart says %v (%s)", l, map[bool]string{true: "ok", false: "refused"}[upstartTakes], s.log(name))
		}
	}
	return compareJobs(t, built, "upstart/testdata/values.txt", dir)
}

// What Respawns and BootStep say of a job is what the real Upstart 1.13.2
// does with it: each job is started in a session-mode init, its main
// process (if it has one) is sent the SIGTERM the shutdown sweep sends,
// and Upstart's log says whether it respawned it. A task is respawned
// when that signal ends it, a job with only post-start and post-stop has
// no process to respawn, and a daemon started on startup is a service.
func TestUpstartRespawns(t *testing.T) {
	built := oracleUpstart(t)
	jobs := map[string]string{
		"daemon":      "start on startup\nrespawn\nexec sleep 1000\n",
		"task":        "task\nrespawn\nexec sleep 1000\n",
		"nomain":      "respawn\npost-start exec /bin/true\npost-stop exec /bin/true\n",
		"prestart":    "respawn\nrespawn limit unlimited\npre-start exec /bin/true\npost-stop exec /bin/true\n",
		"plain":       "start on startup\nexec sleep 1000\n",
		"overridden":  "exec sleep 1000\n",
		"taskdefault": "task\nexec sleep 1000\n",
	}
	overrides := map[string]string{"overridden": "respawn\n"}
	dir := t.TempDir()
	for name, conf := range jobs {
		if err := os.WriteFile(filepath.Join(dir, name+".conf"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		if o, ok := overrides[name]; ok {
			if err := os.WriteFile(filepath.Join(dir, name+".override"), []byte(o), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := startOracle(t, built, dir)
	defer s.stop()
	agree := 0
	pidOf := regexp.MustCompile(`process (\d+)`)
	for _, name := range slices.Sorted(maps.Keys(jobs)) {
		conf, err := upstart.Parse(name+".conf", []byte(jobs[name]))
		if err != nil {
			t.Fatal(err)
		}
		var over []*upstart.Stanza
		if o, ok := overrides[name]; ok {
			over, _ = upstart.Parse(name+".override", []byte(o))
		}
		j := upstart.Merge(name, conf, over)
		if out, err := s.initctl("start", "--no-wait", name); err != nil {
			t.Fatalf("start %s: %v %s", name, err, out)
		}
		var status string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			status, _ = s.initctl("status", name)
			if strings.Contains(status, "start/running") {
				break
			}
		}
		respawned := false
		if m := pidOf.FindStringSubmatch(status); m != nil {
			pid, _ := strconv.Atoi(m[1])
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				t.Fatalf("%s: kill %d: %v", name, pid, err)
			}
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !respawned; time.Sleep(50 * time.Millisecond) {
				respawned = strings.Contains(s.log(name)+s.log(""), name+" main process ended, respawning")
				if after, _ := s.initctl("status", name); strings.Contains(after, "stop/waiting") {
					break
				}
			}
		}
		if Respawns(j) == respawned {
			agree++
		} else {
			t.Errorf("%s: Respawns says %v; Upstart %s: %s", name, Respawns(j), map[bool]string{true: "respawned it", false: "did not respawn it"}[respawned], strings.TrimSpace(status))
		}
		if task := strings.Contains(jobs[name], "task\n"); BootStep(j) != task {
			t.Errorf("%s: BootStep says %v", name, BootStep(j))
		}
		_, _ = s.initctl("stop", "--no-wait", name)
	}
	t.Logf("%d of %d jobs: Respawns agrees with what Upstart 1.13.2 did after SIGTERM", agree, len(jobs))
}

// The translation's script files run as Upstart ran the blocks: each job
// below runs in a session-mode Upstart 1.13.2 and writes what its block
// made of itself, and the script file the translation writes for the same
// block is run by /bin/sh -e (as its #! line says) writing beside it. An
// indented here-document ends under Upstart because nih_config_parse_block
// strips the whitespace the block's lines share; so must it in the file.
func TestScriptsRunAsUpstartRan(t *testing.T) {
	built := oracleUpstart(t)
	out := t.TempDir()
	blocks := map[string]string{
		"heredoc":  "  cat <<EOF > \"$OUT\"\n  hello\n    world\n  EOF\n",
		"tabs":     "\tcat <<-EOF > \"$OUT\"\n\t\tindented\n\tEOF\n\techo done >> \"$OUT\"\n",
		"blank":    "  x=1\n\n  echo \"x=$x\" > \"$OUT\"\n",
		"mixed":    "    a=1\n  b=2\n    echo \"$a $b\" > \"$OUT\"\n",
		"continue": "  echo one \\\n    two > \"$OUT\"\n",
	}
	dir := t.TempDir()
	for name, body := range blocks {
		conf := "env OUT=" + filepath.Join(out, name+".upstart") + "\ntask\nscript\n" + body + "end script\n"
		if err := os.WriteFile(filepath.Join(dir, name+".conf"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := startOracle(t, built, dir)
	defer s.stop()
	agree := 0
	for _, name := range slices.Sorted(maps.Keys(blocks)) {
		if o, err := s.initctl("start", name); err != nil {
			t.Fatalf("start %s: %v %s", name, err, o)
		}
		want, err := os.ReadFile(filepath.Join(out, name+".upstart"))
		if err != nil {
			t.Fatalf("%s: Upstart's run wrote nothing: %v (%s)", name, err, s.log(name))
		}
		st, err := upstart.Parse("/etc/init/"+name+".conf", []byte("task\nscript\n"+blocks[name]+"end script\n"))
		if err != nil {
			t.Fatal(err)
		}
		u := Translate(upstart.Merge(name, st, nil), "/etc/init/"+name+".conf", func(string) (bool, bool) { return false, false })
		file := filepath.Join(out, name+".sh")
		if err := os.WriteFile(file, []byte("#!/bin/sh -e\n# The main block.\n"+u.Scripts["main"]), 0o755); err != nil {
			t.Fatal(err)
		}
		run := exec.Command("/bin/sh", "-e", file)
		run.Env = []string{"OUT=" + filepath.Join(out, name+".unit"), "PATH=/usr/bin:/bin"}
		if o, err := run.CombinedOutput(); err != nil {
			t.Errorf("%s: the translated script failed: %v %s", name, err, o)
			continue
		}
		got, _ := os.ReadFile(filepath.Join(out, name+".unit"))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the translated script wrote %q, Upstart's run %q", name, got, want)
			continue
		}
		agree++
	}
	t.Logf("%d of %d script blocks: the translated files do what Upstart 1.13.2 did", agree, len(blocks))
}
