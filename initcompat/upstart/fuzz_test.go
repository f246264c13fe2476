package upstart

import "testing"

// Parse never panics, whatever the job file holds.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"start on (filesystem\n and net-device-up IFACE!=lo)\nexec /bin/x \\\n  --y\n",
		"pre-start script\n  echo 'a'\nend script\nrespawn limit 10 5\n",
		"env A=\"b c\"\nlimit nofile 1 2\noom score never\n",
		"exec\n", "script\n", "start on (\n", "'\n", "\\",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		st, err := Parse("/f.conf", []byte(src))
		if err == nil {
			_ = Merge("f", st, st)
		}
	})
}
