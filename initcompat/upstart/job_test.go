package upstart

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseStanzas(t *testing.T) {
	st, err := Parse("/etc/init/x.conf", []byte(`# comment
description "hello upstart"   # trailing comment
start on (local-filesystems
          and net-device-up IFACE!=lo)
stop on runlevel [!2345]
env GREETING="hello world"
exec /usr/bin/daemon --flag \
     --other
pre-start script
    if [ -f /x ]; then   # not a stanza
        echo "end script is not this"
    fi
end script
respawn limit 10 5
oom score never
limit nofile 64000 64000
`))
	if err != nil {
		t.Fatal(err)
	}
	j := Merge("x", st, nil)
	if d := j.Get("description"); d.Args[0] != "hello upstart" || d.Line != 2 {
		t.Errorf("description: %+v", d)
	}
	if s := j.Get("start on"); s.Raw != "(local-filesystems and net-device-up IFACE!=lo)" {
		t.Errorf("start on: %q", s.Raw)
	}
	if e := j.Get("env"); e.Args[0] != "GREETING=hello world" {
		t.Errorf("env: %q", e.Args)
	}
	if e := j.Get("exec"); strings.Join(strings.Fields(e.Raw), " ") != "/usr/bin/daemon --flag --other" || len(e.Args) != 3 {
		t.Errorf("exec: %q %q", e.Raw, e.Args)
	}
	if p := j.Get("pre-start script"); !strings.Contains(p.Body, `echo "end script is not this"`) || p.Line != 9 {
		t.Errorf("pre-start: %+v", p)
	}
	if r := j.Get("respawn limit"); r.Args[0] != "10" || r.Args[1] != "5" {
		t.Errorf("respawn limit: %v", r.Args)
	}
}

// Upstart's own line and words for each (checked against init --user's
// log: TestParseMatchesUpstart holds hundreds more to the real Upstart).
func TestParseErrorsSayWhere(t *testing.T) {
	for src, want := range map[string]string{
		"start on runlevel [2345]\nscript\n  echo x\n": "/j.conf:4: Unterminated block",
		"respawnn\n":              "/j.conf:1: Unknown stanza (at \"respawnn\")",
		"start on (filesystem\n":  "/j.conf:2: Mismatched parentheses",
		"exec\n":                  "/j.conf:1: Expected token",
		"env A=\"unterminated\n":  "/j.conf:2: Unterminated quoted string",
		"respawn limit 10\n":      "/j.conf:1: Expected token",
		"limit nofile 1\n":        "/j.conf:1: Expected token",
		"description\n":           "/j.conf:1: Expected token",
		"expect forking\n":        "/j.conf:1: Unknown stanza (at \"expect forking\")",
		"description two words\n": "/j.conf:1: Unexpected token (at \"words\")",
	} {
		_, err := Parse("/j.conf", []byte(src))
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}

// An override as Upstart applies it (TestParseMatchesUpstart holds the
// class to the real Upstart's, TestJobReadsAsClass the readers to the
// class): a process replaces the other form of the same process, manual
// undoes the start on, env adds to the list.
func TestOverrideAsUpstartApplies(t *testing.T) {
	conf, _ := Parse("/j.conf", []byte("start on runlevel [2345]\nexec /a\npre-start exec /p\nrespawn\nenv A=1\n"))
	over, _ := Parse("/j.override", []byte("manual\nscript\n  /b\nend script\npre-start script\n  true\nend script\nenv B=2\n"))
	j := Merge("j", conf, over)
	if !j.Override || !j.Has("manual") || j.Has("exec") || !j.Has("script") || j.Has("pre-start exec") || !j.Has("pre-start script") {
		t.Errorf("merged: %+v", names(j))
	}
	if j.Has("start on") || !j.Has("respawn") || len(j.All("env")) != 2 {
		t.Errorf("manual undoes the start on, respawn stays, env adds: %v", names(j))
	}
	back, _ := Parse("/j.override", []byte("start on started b\n"))
	if j := Merge("j", append(conf, &Stanza{Name: "manual"}), back); j.Has("manual") || j.Get("start on").Raw != "started b" {
		t.Errorf("a start on after manual is the job's: %v", names(j))
	}
}

// The job's readers say what its class holds, for every case of the
// matrix Upstart loads: one stanza for each value (the last set), the
// lists whole, manual only while it stands.
func TestJobReadsAsClass(t *testing.T) {
	for _, mc := range matrix() {
		conf, err := Parse("c.conf", []byte(mc.Conf))
		if err != nil {
			continue
		}
		var over []*Stanza
		if mc.HasOverride {
			over, _ = Parse("c.override", []byte(mc.Override))
		}
		j := Merge(mc.Name, conf, over)
		c := j.Class()
		seen := map[string]bool{}
		for _, s := range j.Stanzas {
			if k := slot(s); k != "" && seen[k] {
				t.Errorf("%s: two stanzas set %s: %v", mc.Name, k, names(j))
			} else {
				seen[k] = true
			}
		}
		if j.Has("start on") != (c.StartOn != nil) || (j.Has("manual") && c.StartOn != nil) {
			t.Errorf("%s: start on %v manual %v, class start on %v", mc.Name, j.Has("start on"), j.Has("manual"), c.StartOn)
		}
		var env []string
		for _, s := range j.All("env") {
			env = append(env, s.Args[0])
		}
		if fmt.Sprint(env) != fmt.Sprint(c.Env) {
			t.Errorf("%s: env %q, class %q", mc.Name, env, c.Env)
		}
		main := j.Get("exec")
		if main == nil {
			main = j.Get("script")
		}
		if (main == nil) != (c.Process[0].Command == nil) {
			t.Errorf("%s: main process %v, class %v", mc.Name, main, c.Process[0].Command)
		}
	}
}

func names(j *Job) []string {
	var out []string
	for _, s := range j.Stanzas {
		out = append(out, s.Name)
	}
	return out
}

// The expression as Upstart builds it: "and" and "or" group to the left
// at one precedence, parentheses group, arguments dequoted; the matches
// as event_operator_match reads them.
func TestOnExpression(t *testing.T) {
	st, err := Parse("/j.conf", []byte("start on a or b and (c X=\"1 2\" or d IFACE!=lo K=v!=w)\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range st[0].On.Nodes {
		if n.Op != "" {
			got = append(got, n.Op)
		} else {
			got = append(got, n.Name+fmt.Sprint(n.Env))
		}
	}
	if want := "a[] b[] or c[X=1 2] d[IFACE!=lo K=v!=w] or and"; strings.Join(got, " ") != want {
		t.Errorf("postfix: %s, want %s", strings.Join(got, " "), want)
	}
	d := st[0].On.Events()[3].Matches()
	if len(d) != 2 || d[0] != (Match{Key: "IFACE", Value: "lo", Negate: true}) || d[1] != (Match{Key: "K=v", Value: "w", Negate: true}) {
		t.Errorf("matches: %+v", d)
	}
}
