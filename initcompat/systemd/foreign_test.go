package systemd

import (
	"reflect"
	"testing"
)

// The links of the search path the snapshot can follow to what it holds
// there are not foreign, whatever their form (Debian's absolute alias
// and wants links, masks, relative links); links leaving it, or to what
// the snapshot did not read, are (issue 34: cloud-final.service linked
// to a file of the Packer host).
func TestForeignLinks(t *testing.T) {
	s := store(t, map[string]string{
		"/usr/lib/systemd/system/ssh.service":     "[Service]\nExecStart=/sshd\n",
		"/etc/systemd/system/hello.service":       "[Service]\nExecStart=/hello\n",
		"/etc/init.d/hello":                       "#!/bin/sh\n",
		"/etc/systemd/system/hello.service.d/a.c": "not a drop-in name, still read as one below",
	}, map[string]string{
		// Not foreign.
		"/etc/systemd/system/sshd.service":                          "/lib/systemd/system/ssh.service",
		"/etc/systemd/system/multi-user.target.wants/ssh.service":   "/lib/systemd/system/ssh.service",
		"/etc/systemd/system/multi-user.target.wants/hello.service": "../hello.service",
		"/etc/systemd/system/masked.service":                        "/dev/null",
		"/etc/systemd/system/hello.service.d/masked.conf":           "/dev//null",
		"/usr/lib/systemd/system/dir-alias.service.d":               "../../../../etc/systemd/system/hello.service.d",
		// Foreign.
		"/etc/systemd/system/cloud-final.service":                  "/root/host-secret.service",
		"/etc/systemd/system/outside.service":                      "/etc/init.d/hello",
		"/etc/systemd/system/dangling.service":                     "/lib/systemd/system/gone.service",
		"/etc/systemd/system/loop.service":                         "loop.service",
		"/etc/systemd/system/hello.service.d/out.conf":             "/host/x.conf",
		"/etc/systemd/system/multi-user.target.wants/fifo.service": "/srv/fifo",
		"/etc/systemd/system/escape.service.d":                     "/root",
		"/usr/lib/systemd/system/up.service":                       "../../../../../../root/x.service",
	})
	got := ForeignLinks(s.t)
	want := []string{
		"/etc/systemd/system/cloud-final.service",
		"/etc/systemd/system/dangling.service",
		"/etc/systemd/system/escape.service.d",
		"/etc/systemd/system/hello.service.d/out.conf",
		"/etc/systemd/system/loop.service",
		"/etc/systemd/system/multi-user.target.wants/fifo.service",
		"/etc/systemd/system/outside.service",
		"/usr/lib/systemd/system/up.service",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ForeignLinks:\n got %q\nwant %q", got, want)
	}
}
