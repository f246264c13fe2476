//go:build linux

package upstartunit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/unit"
	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// systemd as the judge of the units the translation writes: every job
// of the Upstart matrix the real Upstart 1.13.2 loaded
// (upstart/testdata/upstart-1.13.2.json, each with the class Upstart
// held) and every job of the golden cases is translated, and systemd's
// own unit loader reads the units: `systemd --test --system` (systemd(1):
// "Determine the initial start-up transaction ..., dump it and exit")
// dumps every unit it loaded, with its load state and each Environment=
// assignment as the service's processes get it. Each unit must load
// ("Unit Load State: loaded": systemd refuses, for one, Restart=always on
// a Type=oneshot service), systemd must log nothing against it, and its
// environment must be the job's as Upstart holds it, byte for byte:
// Upstart sets `env HOME=/home/$USER` literally (init/job_process.c
// passes the class's env as it is), and systemd.exec(5) expands no `$` in
// Environment=.
func TestSystemdLoadsTranslations(t *testing.T) {
	sd := systemdBinary(t)
	type job struct {
		name string
		j    *upstart.Job
		held held // what Upstart holds
		unit *Unit
	}
	var jobs []job

	// The matrix, with the env the real Upstart recorded.
	data, err := os.ReadFile(filepath.Join("..", "upstart", "testdata", "upstart-1.13.2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var record []struct {
		Name, Conf, Override string
		HasOverride          bool `json:"has_override"`
		Upstart              struct {
			Loaded bool
			Class  held
		}
	}
	if err := json.Unmarshal(data, &record); err != nil {
		t.Fatal(err)
	}
	for _, r := range record {
		if !r.Upstart.Loaded {
			continue
		}
		conf, err := upstart.Parse("/etc/init/"+r.Name+".conf", []byte(r.Conf))
		if err != nil {
			continue // a job of the override alone: initcompat leaves it out
		}
		var over []*upstart.Stanza
		if r.HasOverride {
			over, _ = upstart.Parse("/etc/init/"+r.Name+".override", []byte(r.Override))
			if over == nil {
				over = []*upstart.Stanza{}
			}
		}
		jobs = append(jobs, job{name: r.Name, j: upstart.Merge(r.Name, conf, over), held: r.Upstart.Class})
	}
	matrixJobs := len(jobs)

	// The golden cases' jobs, with initcompat's reading of their env
	// (TestParseMatchesUpstart holds that reading to Upstart's).
	cases, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*.txtar"))
	for ci, file := range cases {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for _, f := range ar.Files {
			if p, ok := strings.CutPrefix(f.Name, "tree/etc/init/"); ok && !strings.Contains(p, "/") && !strings.Contains(p, " -> ") {
				files[p] = f.Data
			}
		}
		for _, base := range slices.Sorted(func(yield func(string) bool) {
			for k := range files {
				if !yield(k) {
					return
				}
			}
		}) {
			name, ok := strings.CutSuffix(base, ".conf")
			if !ok {
				continue
			}
			conf, err := upstart.Parse("/etc/init/"+base, files[base])
			if err != nil {
				continue
			}
			var over []*upstart.Stanza
			if o, ok := files[name+".override"]; ok {
				over, _ = upstart.Parse("/etc/init/"+name+".override", o)
				if over == nil {
					over = []*upstart.Stanza{}
				}
			}
			id := fmt.Sprintf("g%d-%s", ci, name)
			j := upstart.Merge(id, conf, over)
			jobs = append(jobs, job{name: id, j: j, held: heldOf(j.Class())})
		}
	}

	dir := unitDir(t)
	var wants []string
	for i := range jobs {
		jb := &jobs[i]
		u := Translate(jb.j, "/etc/init/"+jb.name+".conf", func(string) (bool, bool) { return true, false })
		jb.unit = u
		if err := os.WriteFile(filepath.Join(dir, jb.name+".service"), Render("# test", jb.name, u.Options), 0o644); err != nil {
			t.Fatal(err)
		}
		wants = append(wants, jb.name+".service")
	}
	target := "[Unit]\nDescription=every translated unit\n"
	for _, w := range wants {
		target += "Wants=" + w + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "initcompat-oracle.target"), []byte(target), 0o644); err != nil {
		t.Fatal(err)
	}
	units, log := systemdDump(t, sd, dir, "initcompat-oracle.target")

	agree := 0
	for _, jb := range jobs {
		name, u := jb.name+".service", jb.unit
		d, ok := units[name]
		switch {
		case !ok:
			t.Errorf("%s: systemd did not load it:\n%s", name, jobText(jb.j))
			continue
		case d.state != "loaded":
			t.Errorf("%s: systemd says %q: %s\n%s", name, d.state, strings.Join(logAbout(log, name), "; "), jobText(jb.j))
			continue
		}
		if l := logAbout(log, name); len(l) > 0 {
			t.Errorf("%s: systemd says: %s\n%s", name, strings.Join(l, "; "), jobText(jb.j))
			continue
		}
		// The environment the processes get: init/job_class.c
		// job_class_environment appends the class's env with replace, so
		// the last of a name counts. env K (init's own) is not carried
		// over, and a name no environment can hold is left out with a
		// warning keeping the unit disabled.
		effective := map[string]string{"UPSTART_JOB": jb.name, "UPSTART_INSTANCE": ""}
		for _, e := range jb.held.Env {
			k, v, ok := strings.Cut(e, "=")
			switch {
			case !ok:
			case !envName.MatchString(k):
				if !slices.ContainsFunc(u.Notes, func(n Note) bool { return n.Blocking && strings.Contains(n.Msg, strconv.Quote(k)) }) {
					t.Errorf("%s: env %q is left out without a warning", name, e)
				}
			default:
				effective[k] = v
			}
		}
		var want []string
		for k, v := range effective {
			want = append(want, k+"="+v)
		}
		slices.Sort(want)
		got := slices.Sorted(slices.Values(d.env))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: systemd gives the processes\n  %q\nUpstart gave them\n  %q\n%s", name, d.env, want, jobText(jb.j))
			continue
		}
		if diff := sameValues(jb.j, jb.held, u, d); len(diff) > 0 {
			t.Errorf("%s: systemd holds what Upstart did not, with no warning:\n  %s\n%s", name, strings.Join(diff, "\n  "), jobText(jb.j))
			continue
		}
		agree++
	}
	if matrixJobs < 250 || len(jobs)-matrixJobs < 60 {
		t.Fatalf("only %d matrix jobs and %d golden jobs", matrixJobs, len(jobs)-matrixJobs)
	}
	t.Logf("%d of %d translated units (%d of the matrix, %d of the golden cases): systemd %s loads them, each value and the environment as Upstart 1.13.2 held them",
		agree, len(jobs), matrixJobs, len(jobs)-matrixJobs, systemdVersion(sd))
}

func jobText(j *upstart.Job) string {
	var b strings.Builder
	for _, s := range j.Stanzas {
		fmt.Fprintf(&b, "    %s %s\n", s.Name, strings.ReplaceAll(s.Raw+s.Body, "\n", "\n    "))
	}
	return b.String()
}

// systemdBinary is the systemd the machine has, skipping (failing under
// INITCOMPAT_E2E=1) without one.
func systemdBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/lib/systemd/systemd", "/usr/lib/systemd/systemd"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("INITCOMPAT_E2E") == "1" || os.Getenv("PACKER_ACC") == "1" {
		t.Fatal("no systemd binary")
	}
	t.Skip("no systemd binary (/lib/systemd/systemd)")
	return ""
}

func systemdVersion(sd string) string {
	out, _ := exec.Command(sd, "--version").Output()
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}

// unitDir is a directory of unit files systemd can read as nobody.
func unitDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "initcompat-units-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// unitDump is what systemd's dump says of one unit.
type unitDump struct {
	state  string
	env    []string
	fields map[string]string // the first "Key: value" of each key
}

// held is a job class as init/state.c writes it (the record's "class"),
// the fields a unit carries over.
type held struct {
	Env            []string
	Nice           int
	Umask          uint32
	OOMScoreAdj    int `json:"oom_score_adj"`
	Limits         []rlimit
	KillSignal     int   `json:"kill_signal"`
	KillTimeout    int64 `json:"kill_timeout"`
	Chdir, Chroot  *string
	Setuid, Setgid *string
	Respawn, Task  int
	Process        []struct{ Command *string }
}

func heldOf(c *upstart.Class) held {
	h := held{Env: c.Env, Nice: int(c.Nice), Umask: c.Umask, OOMScoreAdj: int(c.OOMScoreAdj), KillSignal: c.KillSignal,
		KillTimeout: c.KillTimeout, Chdir: c.Chdir, Chroot: c.Chroot, Setuid: c.Setuid, Setgid: c.Setgid}
	if c.Respawn {
		h.Respawn = 1
	}
	if c.Task {
		h.Task = 1
	}
	for _, l := range c.Limits {
		if l == nil {
			l = &upstart.Rlimit{}
		}
		h.Limits = append(h.Limits, rlimit{int64(l.Cur), int64(l.Max)})
	}
	for _, p := range c.Process {
		h.Process = append(h.Process, struct{ Command *string }{p.Command})
	}
	return h
}

// rlimit is a limit as init/state.c writes it (RLIM_INFINITY is -1).
type rlimit struct {
	Cur int64 `json:"rlim_cur"`
	Max int64 `json:"rlim_max"`
}

// rlimitNames are systemd's Limit keys by RLIMIT_ number.
var rlimitNames = []string{"CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS", "LOCKS",
	"SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME"}

// sameValues holds what systemd loaded to what Upstart held, value by
// value: each difference must be one the translation warned of at that
// stanza (left out, the unit kept disabled).
func sameValues(j *upstart.Job, h held, u *Unit, d *unitDump) []string {
	var diff []string
	at := func(s *upstart.Stanza, key, got, want string) {
		if got == want {
			return
		}
		if s != nil && slices.ContainsFunc(u.Notes, func(n Note) bool { return n.Blocking && n.At == s.Where() }) {
			return
		}
		diff = append(diff, fmt.Sprintf("%s=%q in systemd, Upstart %q", key, got, want))
	}
	check := func(stanza, key, got, want string) { at(j.Get(stanza), key, got, want) }
	str := func(p *string, def string) string {
		if p == nil {
			return def
		}
		return *p
	}
	nice := ""
	if h.Nice != -21 {
		nice = strconv.Itoa(h.Nice)
	}
	check("nice", "Nice", d.fields["Nice"], nice)
	check("umask", "UMask", d.fields["UMask"], fmt.Sprintf("%04o", h.Umask))
	// A score of 0 (or none) leaves the one inherited (init/job_process.c
	// writes oom_score_adj only when it is not 0): so must the unit.
	stanza := "oom score"
	if j.Has("oom") {
		stanza = "oom"
	}
	if h.OOMScoreAdj != 0 {
		check(stanza, "OOMScoreAdjust", d.fields["OOMScoreAdjust"], strconv.Itoa(h.OOMScoreAdj))
	} else if slices.ContainsFunc(u.Options, func(o *unit.UnitOption) bool { return o.Name == "OOMScoreAdjust" }) {
		check(stanza, "OOMScoreAdjust", d.fields["OOMScoreAdjust"], "inherited")
	}
	// Each limit the job sets: systemd's hard and soft values.
	for _, s := range j.All("limit") {
		i := upstart.LimitIndex(s.Args[0])
		if i < 0 || i >= len(h.Limits) {
			diff = append(diff, "limit "+s.Raw+": no such resource in Upstart's class")
			continue
		}
		l := h.Limits[i]
		at(s, "Limit"+rlimitNames[i], d.fields["Limit"+rlimitNames[i]]+":"+d.fields["Limit"+rlimitNames[i]+"Soft"],
			strconv.FormatUint(uint64(l.Max), 10)+":"+strconv.FormatUint(uint64(l.Cur), 10))
	}
	sig := "SIG" + upstart.SignalName(h.KillSignal)
	if h.KillSignal >= 34 {
		sig = "SIGRTMIN+" + strconv.Itoa(h.KillSignal-34) // glibc's SIGRTMIN is 34
	}
	check("kill signal", "KillSignal", d.fields["KillSignal"], sig)
	timeout := h.KillTimeout * 1_000_000
	if h.KillTimeout > math.MaxInt64/1_000_000 {
		timeout = -1 // past what systemd's microseconds hold: forever, as 292,000 years are
	}
	check("kill timeout", "TimeoutStopSec", fmt.Sprint(timespan(d.fields["TimeoutStopSec"])), fmt.Sprint(timeout))
	check("chdir", "WorkingDirectory", d.fields["WorkingDirectory"], str(h.Chdir, "/"))
	check("chroot", "RootDirectory", d.fields["RootDirectory"], str(h.Chroot, "/"))
	check("setuid", "User", d.fields["User"], str(h.Setuid, ""))
	check("setgid", "Group", d.fields["Group"], str(h.Setgid, ""))
	restart := "no"
	if h.Respawn == 1 && len(h.Process) > 0 && h.Process[0].Command != nil {
		restart = map[int]string{0: "always", 1: "on-failure"}[h.Task]
	}
	check("respawn", "Restart", d.fields["Restart"], restart)
	return diff
}

// timespan reads systemd's printed time span ("1min 30s", "5s", "1us",
// "infinity") in microseconds; 0 (Upstart's kill timeout 0, SIGKILL at
// once) is what systemd's least, 1us, stands for.
func timespan(s string) int64 {
	if s == "infinity" {
		return -1
	}
	units := map[string]int64{"us": 1, "ms": 1000, "s": 1_000_000, "min": 60_000_000, "h": 3_600_000_000,
		"d": 86_400_000_000, "w": 604_800_000_000, "M": 2_629_800_000_000, "y": 31_557_600_000_000}
	var total int64
	for _, f := range strings.Fields(s) {
		i := strings.IndexFunc(f, func(r rune) bool { return r < '0' || r > '9' })
		if i <= 0 {
			return -2
		}
		n, _ := strconv.ParseInt(f[:i], 10, 64)
		total += n * units[f[i:]]
	}
	if total == 1 {
		return 0
	}
	return total
}

// systemdDump runs systemd's test mode over the units of dir (then the
// machine's own) for the transaction of unit, and reads back each unit's
// load state and environment, and what it logged. Test mode refuses to
// run as root; as root it runs as nobody.
func systemdDump(t *testing.T, sd, dir, unit string) (map[string]*unitDump, []string) {
	t.Helper()
	args := []string{"--test", "--system", "--unit=" + unit, "--no-pager"}
	name := sd
	if os.Geteuid() == 0 {
		args = append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", sd}, args...)
		name = "setpriv"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = []string{"SYSTEMD_UNIT_PATH=" + dir + ":", "SYSTEMD_LOG_TARGET=console", "SYSTEMD_LOG_COLOR=0", "HOME=/nonexistent", "PATH=/usr/bin:/bin:/usr/sbin:/sbin"}
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errs.String())
	}
	units := map[string]*unitDump{}
	var cur *unitDump
	for _, l := range strings.Split(out.String(), "\n") {
		if n, ok := strings.CutPrefix(l, "\t-> Unit "); ok {
			cur = &unitDump{fields: map[string]string{}}
			units[strings.TrimSuffix(n, ":")] = cur
			continue
		}
		if cur == nil {
			continue
		}
		if v, ok := strings.CutPrefix(l, "\t\tUnit Load State: "); ok {
			cur.state = v
		}
		if v, ok := strings.CutPrefix(l, "\t\tEnvironment: "); ok {
			cur.env = append(cur.env, v)
		}
		if k, v, ok := strings.Cut(strings.TrimPrefix(l, "\t\t"), ": "); ok && strings.HasPrefix(l, "\t\t") && !strings.HasPrefix(l, "\t\t\t") {
			if _, seen := cur.fields[k]; !seen {
				cur.fields[k] = v
			}
		}
	}
	return units, strings.Split(errs.String(), "\n")
}

// logAbout is what systemd logged against a unit: lines naming its file
// or the unit.
func logAbout(log []string, unit string) []string {
	var out []string
	for _, l := range log {
		if strings.Contains(l, "/"+unit+":") || strings.HasPrefix(l, unit+":") {
			out = append(out, l)
		}
	}
	return out
}
