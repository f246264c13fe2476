package lsb

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	h, ok := ParseHeader([]byte(`#!/bin/sh
# chkconfig: 2345 55 25
### BEGIN INIT INFO
# Provides:          cron
# Required-Start:    $remote_fs $syslog $time
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:
# Short-Description: Regular background program processing daemon
# Description:       cron is a standard UNIX program that runs user-specified
#                    programs at periodic scheduled times
### END INIT INFO
`))
	if !ok {
		t.Fatal("header not found")
	}
	if !reflect.DeepEqual(h.Provides, []string{"cron"}) || len(h.RequiredStart) != 3 || len(h.DefaultStop) != 0 {
		t.Errorf("fields: %+v", h)
	}
	if h.Chkconfig != "2345 55 25" || !strings.HasSuffix(h.Description, "periodic scheduled times") {
		t.Errorf("chkconfig %q, description %q", h.Chkconfig, h.Description)
	}
	if _, ok := ParseHeader([]byte("#!/bin/sh\n### BEGIN INIT INFO\n# Provides: x\n")); ok {
		t.Error("an unterminated header counted as a header")
	}
}

func TestRenderedScriptReadsBack(t *testing.T) {
	r := Redirect{Name: "app", Unit: "app.service", Marker: "# marker", RequiredStart: []string{"$network"},
		ShortDesc: "app\nserver\x1b[31m", Chkconfig: true}
	script := Render(r)
	h, ok := ParseHeader(script)
	if !ok {
		t.Fatalf("rendered script has no header:\n%s", script)
	}
	if !reflect.DeepEqual(h.DefaultStart, DefaultStart) || !reflect.DeepEqual(h.DefaultStop, DefaultStop) ||
		!reflect.DeepEqual(h.Provides, []string{"app"}) || !reflect.DeepEqual(h.RequiredStart, []string{"$network"}) {
		t.Errorf("header read back: %+v", h)
	}
	if h.Chkconfig != "2345 20 80" {
		t.Errorf("chkconfig: %q", h.Chkconfig)
	}
	if strings.Contains(h.ShortDesc, "\n") || strings.Contains(string(script), "\x1b") {
		t.Errorf("control characters reached the script: %q", h.ShortDesc)
	}
}

func TestLinks(t *testing.T) {
	on := Links("hello", true, 1, 1)
	var names []string
	for _, l := range on {
		names = append(names, l.Runlevel+":"+l.Name)
	}
	want := "0:K01hello 1:K01hello 2:S01hello 3:S01hello 4:S01hello 5:S01hello 6:K01hello"
	if strings.Join(names, " ") != want {
		t.Errorf("enabled links %v", names)
	}
	for _, l := range Links("hello", false, 1, 1) {
		if !strings.HasPrefix(l.Name, "K01") || l.Target != "../init.d/hello" {
			t.Errorf("disabled link %+v", l)
		}
	}
}

func TestFacilities(t *testing.T) {
	got := FacilitiesFor([]string{"network.target", "network-online.target", "postgresql.service", "remote-fs.target"})
	if !reflect.DeepEqual(got, []string{"$network", "$remote_fs"}) {
		t.Errorf("got %v", got)
	}
}
