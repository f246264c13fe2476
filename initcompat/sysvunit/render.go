package sysvunit

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxValue caps a value taken from the image (a description, a pid file):
// initcompat reads its own units back with go-systemd's parser, which
// refuses lines over 2048 bytes (FACTS.md, "Measured 2026-12-07").
const maxValue = 1500

// Render writes u as a native unit: generate_unit_file()
// (sysv-generator.c:107-205) line for line, then the [Install] section a
// native unit needs. marker is initcompat's first comment line. Every value
// taken from the script passes value(); names are validated by Generate.
func Render(u Unit, marker string) []byte {
	var b bytes.Buffer
	b.WriteString(oneLine(marker) + "\n")
	fmt.Fprintf(&b, "# The unit systemd-sysv-generator made for %s until systemd 260 removed it\n", value(u.Script))
	b.WriteString("# (systemd v259, src/sysv-generator/sysv-generator.c), as a native unit.\n")
	if u.Foreground {
		b.WriteString("# Its start action runs a daemon that stays in the foreground: Type=simple.\n")
	}
	b.WriteString("\n[Unit]\nDocumentation=man:systemd-sysv-generator(8)\n")
	fmt.Fprintf(&b, "SourcePath=%s\n", value(u.Script))
	if u.Description != "" {
		fmt.Fprintf(&b, "Description=%s\n", value(u.Description))
	}
	for _, l := range []struct {
		key   string
		names []string
	}{{"Before", u.Before}, {"After", u.After}, {"Wants", u.Wants}} {
		for _, n := range l.names {
			fmt.Fprintf(&b, "%s=%s\n", l.key, n)
		}
	}
	b.WriteString("\n[Service]\n")
	if u.Foreground {
		// The sysv-foreground drop-in's settings (shim_foreground.go): the
		// script is the main process, stop ends the whole group.
		b.WriteString("Type=simple\nRestart=no\nTimeoutSec=5min\nIgnoreSIGPIPE=no\nKillMode=control-group\nGuessMainPID=no\nRemainAfterExit=no\n")
	} else {
		fmt.Fprintf(&b, "Type=forking\nRestart=no\nTimeoutSec=5min\nIgnoreSIGPIPE=no\nKillMode=process\nGuessMainPID=no\nRemainAfterExit=%s\n",
			map[bool]string{true: "no", false: "yes"}[u.PIDFile != ""])
		if u.PIDFile != "" {
			fmt.Fprintf(&b, "PIDFile=%s\n", value(u.PIDFile))
		}
	}
	if u.HasLSB {
		// "Consider two special LSB exit codes a clean exit":
		// EXIT_NOTINSTALLED 5, EXIT_NOTCONFIGURED 6 (exit-status.h).
		b.WriteString("SuccessExitStatus=5 6\n")
	}
	fmt.Fprintf(&b, "ExecStart=%s start\nExecStop=%s stop\n", value(u.Script), value(u.Script))
	if u.Reload {
		fmt.Fprintf(&b, "ExecReload=%s reload\n", value(u.Script))
	}
	if len(u.Install) > 0 {
		b.WriteString("\n[Install]\n")
		fmt.Fprintf(&b, "WantedBy=%s\n", strings.Join(u.Install, " "))
	}
	return b.Bytes()
}

// value makes a string from the image safe as a unit file value:
// specifier_escape() ("%" doubled, as the generator does,
// src/shared/specifier.c); systemd ends a line at \n, \r and \0 and
// continues one that ends in a backslash, so control characters become
// spaces and trailing backslashes go; bytes that are not UTF-8 become
// U+FFFD (systemd 252 and 257 refuse to load a unit whose Description= is
// not UTF-8: the generator's unit for such a script never loaded, seen in
// e2e TestNativeUnitsMatrixBooted); capped at maxValue bytes.
func value(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxValue {
		cut := maxValue
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	s = strings.TrimRight(s, ` \`)
	return strings.ReplaceAll(s, "%", "%%")
}

// oneLine keeps a comment to one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// RCLocalPath is RC_LOCAL_PATH, meson's rc-local option (default
// /etc/rc.local).
const RCLocalPath = "/etc/rc.local"

// RCLocal is rc-local.service as systemd 257-259 ship it
// (units/rc-local.service.in, with RC_LOCAL_PATH /etc/rc.local), plus the
// [Install] section a native unit needs: systemd-rc-local-generator
// (src/rc-local-generator/rc-local-generator.c:57-74) linked it into
// multi-user.target.wants when /etc/rc.local was executable (access(2)
// X_OK), so WantedBy=multi-user.target and that link are its enablement.
// debian adds Debian's drop-in (debian/extra/rc-local.service.d/debian.conf
// in bookworm's and trixie's systemd): after network-online.target, output
// on the console too.
func RCLocal(marker string, debian bool) []byte {
	var b strings.Builder
	b.WriteString(oneLine(marker) + "\n")
	b.WriteString("# rc-local.service as systemd shipped it until 260 removed it (units/rc-local.service.in),\n")
	b.WriteString("# enabled as systemd-rc-local-generator enabled it when " + RCLocalPath + " was executable.\n\n")
	b.WriteString("[Unit]\nDescription=" + RCLocalPath + " Compatibility\nDocumentation=man:systemd-rc-local-generator(8)\n")
	b.WriteString("ConditionFileIsExecutable=" + RCLocalPath + "\nAfter=network.target\n")
	if debian {
		b.WriteString("# Debian's drop-in: \"not specified by LSB, but has been behaving that way in Debian\"\nAfter=network-online.target\n")
	}
	b.WriteString("\n[Service]\nType=forking\nExecStart=" + RCLocalPath + " start\nTimeoutSec=infinity\nRemainAfterExit=yes\nGuessMainPID=no\n")
	if debian {
		b.WriteString("StandardOutput=journal+console\nStandardError=journal+console\n")
	}
	b.WriteString("\n[Install]\nWantedBy=multi-user.target\n")
	return []byte(b.String())
}
