package upstart

import "math"

// glibc's strtol and strtoul as parse_job.c calls them (base 10, or 8 for
// umask) and tests them (errno, *endptr): leading white space (isspace)
// and a sign are taken; no digit at all leaves endptr at the start, so a
// value of blanks is refused; strtoul negates a negative value in unsigned
// arithmetic without an error ("-1" is ULONG_MAX); a value past the range
// sets ERANGE. Then the C assignments truncate: respawn_limit, nice and
// oom_score_adj are int, umask a 32-bit mode_t.

// cnum is a converted value: ok is "errno == 0 && *endptr == '\0'".
type cnum struct {
	i  int64  // strtol's value
	u  uint64 // strtoul's value
	ok bool
}

func isCSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func digitsOf(s string, base uint64) (mag uint64, overflow bool, rest string, any bool) {
	i := 0
	for ; i < len(s); i++ {
		d := uint64(s[i] - '0')
		if s[i] < '0' || d >= base {
			break
		}
		any = true
		if mag > (math.MaxUint64-d)/base {
			overflow = true
		}
		mag = mag*base + d
	}
	return mag, overflow, s[i:], any
}

// strtol is glibc's strtol(s, &end, 10) with errno and *end checked.
func strtol(s string) cnum {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	mag, overflow, rest, any := digitsOf(s[i:], 10)
	if !any {
		return cnum{ok: len(s) == 0} // endptr = s
	}
	ok := rest == ""
	switch {
	case neg && (overflow || mag > 1<<63):
		return cnum{i: math.MinInt64, ok: false}
	case !neg && (overflow || mag > math.MaxInt64):
		return cnum{i: math.MaxInt64, ok: false}
	case neg:
		return cnum{i: -int64(mag), ok: ok}
	}
	return cnum{i: int64(mag), ok: ok}
}

// strtoul is glibc's strtoul(s, &end, base) with errno and *end checked.
func strtoul(s string, base uint64) cnum {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	mag, overflow, rest, any := digitsOf(s[i:], base)
	if !any {
		return cnum{ok: len(s) == 0}
	}
	if overflow {
		return cnum{u: math.MaxUint64, ok: false}
	}
	if neg {
		mag = -mag
	}
	return cnum{u: mag, ok: rest == ""}
}
