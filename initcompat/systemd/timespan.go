package systemd

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Infinity is the time span "infinity".
const Infinity = time.Duration(math.MaxInt64)

// spanUnits are parse_sec's units (src/basic/time-util.c), longest first
// where one is a prefix of another.
var spanUnits = []struct {
	name string
	d    time.Duration
}{
	{"seconds", time.Second}, {"second", time.Second}, {"sec", time.Second}, {"s", time.Second},
	{"minutes", time.Minute}, {"minute", time.Minute}, {"min", time.Minute},
	{"months", 2629800 * time.Second}, {"month", 2629800 * time.Second},
	{"msec", time.Millisecond}, {"ms", time.Millisecond},
	{"m", time.Minute},
	{"hours", time.Hour}, {"hour", time.Hour}, {"hr", time.Hour}, {"h", time.Hour},
	{"days", 24 * time.Hour}, {"day", 24 * time.Hour}, {"d", 24 * time.Hour},
	{"weeks", 7 * 24 * time.Hour}, {"week", 7 * 24 * time.Hour}, {"w", 7 * 24 * time.Hour},
	{"M", 2629800 * time.Second},
	{"years", 31557600 * time.Second}, {"year", 31557600 * time.Second}, {"y", 31557600 * time.Second},
	{"usec", time.Microsecond}, {"us", time.Microsecond}, {"µs", time.Microsecond},
	{"nsec", time.Nanosecond}, {"ns", time.Nanosecond},
}

// ParseTimespan reads a time span as parse_sec does: "90", "5s",
// "1min 30s", "500ms", "infinity"; a bare number is seconds.
func ParseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "infinity" {
		return Infinity, nil
	}
	if s == "" {
		return 0, fmt.Errorf("empty time span")
	}
	var total time.Duration
	for rest := s; rest != ""; {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("time span %q: a number expected at %q", s, rest)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("time span %q: %w", s, err)
		}
		rest = strings.TrimLeft(rest[i:], " \t")
		unit := time.Second
		for _, u := range spanUnits {
			if strings.HasPrefix(rest, u.name) {
				next := rest[len(u.name):]
				if next == "" || next[0] == ' ' || next[0] == '\t' || next[0] >= '0' && next[0] <= '9' {
					unit, rest = u.d, next
					break
				}
			}
		}
		if rest != "" && rest[0] != ' ' && rest[0] != '\t' && (rest[0] < '0' || rest[0] > '9') {
			return 0, fmt.Errorf("time span %q: unknown unit at %q", s, rest)
		}
		total += time.Duration(n * float64(unit))
	}
	return total, nil
}
