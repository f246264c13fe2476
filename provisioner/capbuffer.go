package provisioner

import (
	"bytes"
	"fmt"
)

// capBuffer keeps the first head and the last tail bytes written to it,
// and counts the rest: a command that prints without end costs at most
// head+tail bytes. The end is kept because the scripts say how they ended
// on their last lines.
type capBuffer struct {
	head, tail int
	first      bytes.Buffer
	last       []byte // a ring of tail bytes once first is full
	at         int    // next write position in last
	full       bool   // last has wrapped
	dropped    int64
}

func (c *capBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := c.head - c.first.Len(); room > 0 {
		k := min(room, len(p))
		c.first.Write(p[:k])
		p = p[k:]
	}
	if c.tail <= 0 {
		c.dropped += int64(len(p))
		return n, nil
	}
	for len(p) > 0 {
		if len(c.last) < c.tail {
			k := min(c.tail-len(c.last), len(p))
			c.last = append(c.last, p[:k]...)
			p = p[k:]
			continue
		}
		k := copy(c.last[c.at:], p)
		c.dropped += int64(k)
		c.at = (c.at + k) % c.tail
		c.full = true
		p = p[k:]
	}
	return n, nil
}

// String is what was kept, with a line saying how much was left out.
func (c *capBuffer) String() string {
	if !c.full {
		return c.first.String() + string(c.last)
	}
	return c.first.String() + fmt.Sprintf("\n[initcompat: %d bytes of output left out]\n", c.dropped) +
		string(c.last[c.at:]) + string(c.last[:c.at])
}

// Len is what was kept.
func (c *capBuffer) Len() int { return c.first.Len() + len(c.last) }
