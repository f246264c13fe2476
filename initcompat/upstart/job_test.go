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

func TestOverrideReplacesStanzas(t *testing.T) {
	conf, _ := Parse("/j.conf", []byte("start on runlevel [2345]\nexec /a\npre-start exec /p\nrespawn\n"))
	over, _ := Parse("/j.override", []byte("manual\nscript\n  /b\nend script\npre-start script\n  true\nend script\n"))
	j := Merge("j", conf, over)
	if !j.Override || !j.Has("manual") || j.Has("exec") || !j.Has("script") || j.Has("pre-start exec") || !j.Has("pre-start script") {
		t.Errorf("merged: %+v", names(j))
	}
	if !j.Has("start on") || !j.Has("respawn") {
		t.Errorf("stanzas the override does not set must stay: %v", names(j))
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
