//go:build linux

package upstart

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The real Upstart 1.13.2 judges every case of matrix(): a session-mode
// init (init --user --no-startup-event: init/parse_job.c as PID 1 runs
// it, starting nothing) loads each case as a job; its log says which
// files it refused, at which line, in which words; a stateful re-exec
// (the D-Bus Restart method, UPSTART_WRITE_STATEFILE=1) makes it write
// every job class it holds as JSON (init/state.c): the commands, the
// values, the event expressions. testdata/upstart-1.13.2.json records what
// it said; TestParseMatchesUpstart holds Parse, Apply and Load to that
// record on every run, and TestUpstartJudgesMatrix (needs the built
// Upstart: e2e builds it, or INITCOMPAT_UPSTART_ROOT) asks Upstart again
// and fails where the record is stale (-update rewrites it).

var update = flag.Bool("update", false, "rewrite testdata/upstart-1.13.2.json from the real Upstart")

const recordFile = "testdata/upstart-1.13.2.json"

// verdict is what Upstart made of one case.
type verdict struct {
	Loaded bool            `json:"loaded"`
	Log    []string        `json:"log,omitempty"`   // init's lines about the case's files, "NAME.conf:LINE: MESSAGE"
	Class  json.RawMessage `json:"class,omitempty"` // the class as init/state.c writes it, the fields compared
}

type recorded struct {
	matrixCase
	Upstart verdict `json:"upstart"`
}

// stateFields are the JobClass fields init/state.c writes that a job file
// sets.
var stateFields = []string{"instance", "description", "author", "version", "usage", "env", "export", "emits",
	"start_on", "stop_on", "process", "expect", "task", "kill_timeout", "kill_signal", "reload_signal", "respawn",
	"respawn_limit", "respawn_interval", "normalexit", "console", "umask", "nice", "oom_score_adj", "limits",
	"chroot", "chdir", "setuid", "setgid", "apparmor_switch"}

// ours is initcompat's reading of a case, in Upstart's terms.
func ours(c matrixCase) verdict {
	var override []byte
	if c.HasOverride {
		override = []byte(c.Override)
	}
	class, err := Load(c.Name, c.Name+".conf", []byte(c.Conf), c.Name+".override", override)
	var v verdict
	for _, pe := range ParseErrors(err) {
		v.Log = append(v.Log, pe.Log())
	}
	if class != nil {
		v.Loaded = true
		v.Class = classState(class)
	}
	return v
}

// classState writes a Class as init/state.c writes a JobClass.
func classState(c *Class) json.RawMessage {
	str := func(p *string) any {
		if p == nil {
			return nil
		}
		return *p
	}
	list := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	on := func(o *On) any {
		if o == nil {
			return nil
		}
		var nodes []map[string]any
		for _, n := range o.Nodes {
			m := map[string]any{"type": "EVENT_MATCH", "value": 0}
			if n.Op != "" {
				m["type"] = "EVENT_" + strings.ToUpper(n.Op)
			} else {
				m["name"] = n.Name
				if len(n.Env) > 0 {
					m["env"] = n.Env
				}
			}
			nodes = append(nodes, m)
		}
		return nodes
	}
	b := func(x bool) int {
		if x {
			return 1
		}
		return 0
	}
	var procs []map[string]any
	for _, p := range c.Process {
		procs = append(procs, map[string]any{"script": b(p.Script), "command": str(p.Command)})
	}
	var lims []map[string]any
	for _, l := range c.Limits {
		if l == nil {
			l = &Rlimit{}
		}
		lims = append(lims, map[string]any{"rlim_cur": int64(l.Cur), "rlim_max": int64(l.Max)})
	}
	exits := c.NormalExit
	if exits == nil {
		exits = []int{}
	}
	m := map[string]any{
		"instance": c.Instance, "description": str(c.Description), "author": str(c.Author), "version": str(c.Version),
		"usage": str(c.Usage), "env": list(c.Env), "export": list(c.Export), "emits": list(c.Emits),
		"start_on": on(c.StartOn), "stop_on": on(c.StopOn), "process": procs,
		"expect": "EXPECT_" + strings.ToUpper(c.Expect), "task": b(c.Task), "kill_timeout": c.KillTimeout,
		"kill_signal": c.KillSignal, "reload_signal": c.ReloadSignal, "respawn": b(c.Respawn),
		"respawn_limit": c.RespawnLimit, "respawn_interval": c.RespawnInterval, "normalexit": exits,
		"console": "CONSOLE_" + strings.ToUpper(c.Console), "umask": c.Umask, "nice": c.Nice,
		"oom_score_adj": c.OOMScoreAdj, "limits": lims, "chroot": str(c.Chroot), "chdir": str(c.Chdir),
		"setuid": str(c.Setuid), "setgid": str(c.Setgid), "apparmor_switch": str(c.ApparmorSwitch),
	}
	data, _ := json.Marshal(m)
	return data
}

// sameJSON compares two JSON texts as values, numbers as written.
func sameJSON(a, b []byte) bool {
	decode := func(d []byte) any {
		dec := json.NewDecoder(bytes.NewReader(d))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return string(d)
		}
		return v
	}
	return reflect.DeepEqual(decode(a), decode(b))
}

func sameVerdict(a, b verdict) bool {
	return a.Loaded == b.Loaded && slices.Equal(a.Log, b.Log) && (!a.Loaded || sameJSON(a.Class, b.Class))
}

func loadRecord(t *testing.T) map[string]recorded {
	t.Helper()
	data, err := os.ReadFile(recordFile)
	if err != nil {
		t.Fatal(err)
	}
	var list []recorded
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]recorded{}
	for _, r := range list {
		out[r.Name] = r
	}
	return out
}

// Parse, Apply and Load read every case as Upstart 1.13.2 did: the same
// jobs refused, at the same line with the same words; the same class,
// field by field, for the jobs it loaded.
func TestParseMatchesUpstart(t *testing.T) {
	rec := loadRecord(t)
	cases := matrix()
	agree, refused := 0, 0
	for _, c := range cases {
		r, ok := rec[c.Name]
		if !ok || r.Conf != c.Conf || r.Override != c.Override || r.HasOverride != c.HasOverride {
			t.Errorf("%s: not in %s as matrix() has it: run TestUpstartJudgesMatrix with -update", c.Name, recordFile)
			continue
		}
		got := ours(c)
		if !sameVerdict(got, r.Upstart) {
			t.Errorf("%s: %q (override %q):\n  initcompat: loaded=%v log=%q class=%s\n  Upstart:    loaded=%v log=%q class=%s",
				c.Name, c.Conf, c.Override, got.Loaded, got.Log, got.Class, r.Upstart.Loaded, r.Upstart.Log, r.Upstart.Class)
			continue
		}
		agree++
		if !r.Upstart.Loaded {
			refused++
		}
	}
	if len(cases) < 300 {
		t.Errorf("only %d cases", len(cases))
	}
	t.Logf("%d of %d cases agree with Upstart 1.13.2 (%d refused by it)", agree, len(cases), refused)
}

// TestUpstartJudgesMatrix asks the real Upstart about every case.
func TestUpstartJudgesMatrix(t *testing.T) {
	root := builtUpstart(t)
	cases := matrix()
	judged := judge(t, root, cases)
	var list []recorded
	rec := map[string]recorded{}
	if !*update {
		rec = loadRecord(t)
	}
	for _, c := range cases {
		v := judged[c.Name]
		list = append(list, recorded{c, v})
		if *update {
			continue
		}
		if r, ok := rec[c.Name]; !ok || r.Conf != c.Conf || !sameVerdict(v, r.Upstart) {
			t.Errorf("%s: Upstart now says loaded=%v log=%q class=%s; %s records %+v", c.Name, v.Loaded, v.Log, v.Class, recordFile, r.Upstart)
		}
		if got := ours(c); !sameVerdict(got, v) {
			t.Errorf("%s: %q: initcompat: loaded=%v log=%q; Upstart: loaded=%v log=%q", c.Name, c.Conf, got.Loaded, got.Log, v.Loaded, v.Log)
		}
	}
	if *update {
		data, err := json.MarshalIndent(list, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(recordFile, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// builtUpstart finds the Upstart e2e builds (INITCOMPAT_UPSTART_ROOT, or
// its cache), skipping (failing under INITCOMPAT_E2E=1) without it.
func builtUpstart(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("INITCOMPAT_UPSTART_ROOT")
	if dir == "" {
		dir = "/var/cache/initcompat-e2e/upstart-1.13.2"
		if _, err := os.Stat(dir + ".ok"); err != nil {
			dir = ""
		}
	}
	_, errInit := os.Stat(filepath.Join(dir, "usr/sbin/init"))
	_, errSend := exec.LookPath("dbus-send")
	if dir == "" || errInit != nil || errSend != nil {
		msg := "no built Upstart or no dbus-send (e2e's TestUpstartParserOracle builds Upstart; or set INITCOMPAT_UPSTART_ROOT; apt-get install dbus-bin)"
		if os.Getenv("INITCOMPAT_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// judge loads every case into one session-mode init and reads back its
// log and its state.
func judge(t *testing.T, root string, cases []matrixCase) map[string]verdict {
	t.Helper()
	confdir, runtime := t.TempDir(), t.TempDir()
	for _, c := range cases {
		if err := os.WriteFile(filepath.Join(confdir, c.Name+".conf"), []byte(c.Conf), 0o644); err != nil {
			t.Fatal(err)
		}
		if c.HasOverride {
			if err := os.WriteFile(filepath.Join(confdir, c.Name+".override"), []byte(c.Override), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	env := []string{"LD_LIBRARY_PATH=" + filepath.Join(root, "usr/lib"), "XDG_RUNTIME_DIR=" + runtime, "HOME=" + runtime,
		"LANG=C", "PATH=/usr/bin:/bin", "UPSTART_WRITE_STATEFILE=1"}
	// init writes its log while this test reads it.
	var log lockedBuffer
	// umask 022: a session init gives jobs its own umask (job_class_new).
	cmd := exec.Command("/bin/sh", "-c", `umask 022; exec "$0" --user --confdir "$1" --logdir "$2" --no-startup-event`,
		filepath.Join(root, "usr/sbin/init"), confdir, runtime)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	session := ""
	for deadline := time.Now().Add(30 * time.Second); session == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(runtime, "upstart", "sessions", "*.session"))
		for _, f := range files {
			data, _ := os.ReadFile(f)
			for _, l := range strings.Split(string(data), "\n") {
				if v, ok := strings.CutPrefix(l, "UPSTART_SESSION="); ok {
					session = v
				}
			}
		}
	}
	if session == "" {
		t.Fatalf("init --user did not start: %s", log.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	state := filepath.Join(runtime, "upstart.state")
	var data []byte
	for len(data) == 0 && ctx.Err() == nil {
		// Restart re-execs init, which writes its state as it reads it back.
		send := exec.CommandContext(ctx, "dbus-send", "--address="+session, "--print-reply", "--dest=com.ubuntu.Upstart",
			"/com/ubuntu/Upstart", "com.ubuntu.Upstart0_6.Restart")
		send.Env = env
		_ = send.Run()
		for range 100 {
			if data, _ = os.ReadFile(state); len(data) > 0 && json.Valid(data) {
				break
			}
			data = nil
			time.Sleep(50 * time.Millisecond)
		}
	}
	var st struct {
		Classes []map[string]json.RawMessage `json:"job_classes"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("the state init wrote: %v\n%s", err, log.String())
	}
	out := map[string]verdict{}
	for _, c := range st.Classes {
		var name string
		_ = json.Unmarshal(c["name"], &name)
		sub := map[string]json.RawMessage{}
		for _, f := range stateFields {
			if v, ok := c[f]; ok {
				sub[f] = v
			} else {
				sub[f] = json.RawMessage("null")
			}
		}
		data, _ := json.Marshal(sub)
		out[name] = verdict{Loaded: true, Class: data}
	}
	prefix := "init:" + confdir + "/"
	for _, l := range strings.Split(log.String(), "\n") {
		rest, ok := strings.CutPrefix(l, prefix)
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, ".")
		v := out[name]
		if !slices.Contains(v.Log, rest) {
			v.Log = append(v.Log, rest)
		}
		out[name] = v
	}
	return out
}

// lockedBuffer is a bytes.Buffer a running process writes into while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
