package upstart

import "testing"

// Parse never panics, whatever the job file holds.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"start on (filesystem\n and net-device-up IFACE!=lo)\nexec /bin/x \\\n  --y\n",
		"pre-start script\n  echo 'a'\nend script\nrespawn limit 10 5\n",
		"env A=\"b c\"\nlimit nofile 1 2\noom score never\n",
		"exec\n", "script\n", "start on (\n", "'\n", "\\",
		"start on a and (b X=1 or c)\nscript\n  x\nend script # c\n", "exec a \\x \"b # c\" d#e\n",
		"script\n  a\n\n  b\nend script\n", "start on (a\n # c\n or b)\n", "start on \x00\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		st, err := Parse("/f.conf", []byte(src))
		if err == nil {
			_ = Merge("f", st, st)
		}
		half := len(src) / 2
		c, err := Load("f", "/f.conf", []byte(src[:half]), "/f.override", []byte(src[half:]))
		if c == nil && len(ParseErrors(err)) == 0 {
			t.Fatalf("no job and no parse error: %v", err)
		}
		if c != nil {
			_ = c.StartOn.Events()
		}
	})
}
