package initcompat

import "github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"

// The apply protocol (steps, journal, staging names, recovery and its two
// runners) is package protocol; a plan becomes its input here.

// Protocol is the plan as the apply protocol takes it: each change's
// path, content and what the snapshot saw there (content shared, not
// copied).
func (p *Plan) Protocol() *protocol.Plan {
	out := &protocol.Plan{Manifest: p.ManifestPath, Gzip: p.Gzip, Changes: make([]protocol.Change, len(p.Changes))}
	for i := range p.Changes {
		c := &p.Changes[i]
		out.Changes[i] = protocol.Change{
			Op: protocol.ChangeOp(c.Op), Path: c.Path, Target: c.Target, Mode: c.Mode, Content: c.Content, SHA256: c.SHA256,
			Prior: protocol.Prior{Kind: protocol.Kind(c.Prior.Kind), SHA256: c.Prior.SHA256, Target: c.Prior.Target},
		}
	}
	return out
}
