package upstartunit

import (
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// A value Upstart holds that ends in a backslash, or is longer than a
// line initcompat reads back, never swallows the next setting of the unit
// (issue 34, item 3: `chroot /\` lost User=nobody, and the unit ran as
// root; a 3,012-byte description made a unit initcompat could not read).
func TestTranslatedValuesStayTheirOwn(t *testing.T) {
	for name, stanza := range map[string]string{
		"description": `description "a daemon \\"`,
		"chroot":      `chroot /srv/jail\\`,
		"chdir":       `chdir /srv/app\\`,
		"long":        `description "` + strings.Repeat("word ", 700) + `"`,
		"control":     "description \"one\rExecStartPre=/bin/true\"",
	} {
		text := stanza + "\nstart on runlevel [2345]\nsetuid nobody\nexec /usr/bin/app\n"
		st, err := upstart.Parse("/etc/init/app.conf", []byte(text))
		if err != nil {
			t.Logf("%s: Upstart refuses it (%v): nothing to translate", name, err)
			continue
		}
		u := Translate(upstart.Merge("app", st, nil), "/etc/init/app.conf", func(string) (bool, bool) { return false, false })
		unit := Render("# marker", "/etc/init/app.conf", u.Options)
		opts, err := systemd.Parse("app.service", unit)
		if err != nil {
			t.Fatalf("%s: the unit does not read back: %v\n%s", name, err, unit)
		}
		var user string
		for _, o := range opts {
			if o.Name == "User" {
				user = o.Value
			}
			if o.Name == "ExecStartPre" {
				t.Errorf("%s: a value became ExecStartPre=%s", name, o.Value)
			}
		}
		if user != "nobody" {
			t.Errorf("%s: User=%q after the value, want nobody:\n%s", name, user, unit)
		}
	}
}
