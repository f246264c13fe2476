package upstart

import (
	"fmt"
	"strconv"
	"strings"
)

// The values Upstart's parser refuses (init/parse_job.c of Upstart
// 1.13.2: stanza_nice, stanza_umask, stanza_oom, stanza_kill,
// stanza_respawn, stanza_normal, stanza_limit): a job with one of them is
// not loaded at all ("Illegal nice value, expected -20 to 19"), so it is
// not a job initcompat may read. What parse_job.c accepts and checks only
// when the job runs (setuid, chdir, env) is left to the rules.

// signals are the names nih_signal_from_name knows (libnih's
// nih/signal.c), with or without "SIG".
var signals = map[string]bool{
	"HUP": true, "INT": true, "QUIT": true, "ILL": true, "TRAP": true, "ABRT": true, "IOT": true, "BUS": true,
	"FPE": true, "KILL": true, "USR1": true, "SEGV": true, "USR2": true, "PIPE": true, "ALRM": true, "TERM": true,
	"STKFLT": true, "CHLD": true, "CLD": true, "CONT": true, "STOP": true, "TSTP": true, "TTIN": true, "TTOU": true,
	"URG": true, "XCPU": true, "XFSZ": true, "VTALRM": true, "PROF": true, "WINCH": true, "IO": true, "POLL": true,
	"PWR": true, "SYS": true,
}

// limits are the resources of the limit stanza.
var limits = map[string]bool{
	"as": true, "core": true, "cpu": true, "data": true, "fsize": true, "memlock": true, "msgqueue": true,
	"nice": true, "nofile": true, "nproc": true, "rss": true, "rtprio": true, "sigpending": true, "stack": true,
}

func intIn(s string, lo, hi int64) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n >= lo && n <= hi
}

func unsigned(s string) bool { _, err := strconv.ParseUint(s, 10, 64); return err == nil }

func signal(s string) bool {
	return signals[strings.TrimPrefix(s, "SIG")] || intIn(s, 0, 1<<31-1)
}

// checkValue says why Upstart refuses the stanza's value, "" when it
// takes it.
func checkValue(name string, rest []string) string {
	arg := func(i int) string {
		if i < len(rest) {
			return rest[i]
		}
		return ""
	}
	switch name {
	case "nice":
		if !intIn(arg(0), -20, 19) {
			return "Illegal nice value, expected -20 to 19"
		}
	case "umask":
		if n, err := strconv.ParseUint(arg(0), 8, 32); err != nil || n&^0o777 != 0 {
			return "Illegal file creation mask, expected octal integer"
		}
	case "oom score":
		if arg(0) != "never" && !intIn(arg(0), -1000, 1000) {
			return "Illegal oom score value, expected -1000 to 1000 or never"
		}
	case "oom":
		if arg(0) != "never" && !intIn(arg(0), -17, 15) {
			return "Illegal oom adjustment, expected -17 to 15 or never"
		}
	case "kill timeout":
		if !intIn(arg(0), 0, 1<<62) {
			return "Illegal interval, expected number of seconds"
		}
	case "kill signal", "reload signal":
		if !signal(arg(0)) {
			return "Illegal signal status, expected integer"
		}
	case "respawn limit":
		if arg(0) != "unlimited" && (!intIn(arg(0), 0, 1<<62) || !intIn(arg(1), 0, 1<<62)) {
			return "Illegal limit, expected 'unlimited' or integer"
		}
	case "normal exit":
		for _, w := range rest {
			if !signal(w) && !unsigned(w) {
				return "Illegal exit status, expected integer"
			}
		}
	case "limit":
		if !limits[arg(0)] {
			return fmt.Sprintf("Unknown stanza (limit %s)", arg(0))
		}
		for _, v := range rest[1:] {
			if v != "unlimited" && !unsigned(v) {
				return "Illegal limit, expected 'unlimited' or integer"
			}
		}
	}
	return ""
}
