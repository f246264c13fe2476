package upstart

import (
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

func TestParseErrorsSayWhere(t *testing.T) {
	for src, want := range map[string]string{
		"start on runlevel [2345]\nscript\n  echo x\n": "/j.conf:2: script block without \"end script\"",
		"respawnn\n":             "/j.conf:1: unknown stanza \"respawnn\"",
		"start on (filesystem\n": "/j.conf:1: unbalanced parentheses in start on",
		"exec\n":                 "/j.conf:1: exec needs a command",
		"env A=\"unterminated\n": "/j.conf:1: unterminated \" quote",
		"respawn limit 10\n":     "/j.conf:1: respawn limit takes COUNT INTERVAL or unlimited",
		"limit nofile 1\n":       "/j.conf:1: limit takes 3 arguments",
		"description\n":          "/j.conf:1: description takes at least one word",
	} {
		_, err := Parse("/j.conf", []byte(src))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
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
