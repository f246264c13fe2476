package protocol

import (
	"fmt"
	"strings"
	"testing"
)

// journal.sh states journal.go's bounds and headers as its own variables:
// they must be the same, or sh and Go read a journal differently.
func TestJournalShellConstants(t *testing.T) {
	for _, want := range []string{
		fmt.Sprintf("jc_max_journal=%d\n", MaxJournalSize),
		fmt.Sprintf("jc_max_proof=%d\n", MaxProofSize),
		fmt.Sprintf("jc_depth=%d\n", maxDepth),
		fmt.Sprintf("jc_header='%s'\n", journalHeader),
		fmt.Sprintf("jc_manifest_header='%s'\n", ManifestHeader),
	} {
		if !strings.Contains(journalSh, want) {
			t.Errorf("journal.sh lacks %q", want)
		}
	}
}

// A journal's shape is checked before the image is read: what recovery
// would refuse, Steps refuses to journal too.
func TestJournalShape(t *testing.T) {
	for _, c := range []struct{ journal, refused string }{
		{"state begin\nstate done\n", "2 state lines"},
		{"state begin\nmkdir /etc/x\n", "mkdir /etc/x holds nothing"},
		{"state done\nstagedir /etc/x/.initcompat-stage\n", "holds no new path"},
		{"state done\nasidedir /etc/init.d/.initcompat-stage\naside /etc/init.d/a\n", "is not named .initcompat-old"},
		{"state begin\nstagedir /etc/init.d/.initcompat-stage\nnew /etc/init.d/a\n", "\"\" is not an absolute, clean path"},
		{"state begin\nstagedir /etc/init.d/.initcompat-stage\nnew " + FileProof(strings.Repeat("0", 64)) + " /etc/init.d/../passwd\n", "clean"},
		{"state begin\nmanifest /var/lib/.initcompat-lock/m\n", "not a place"},
		{"state begin\nbogus /x\n", "line 3"},
		{"state done\nrmdir /home/user\n", "/home/user is not a path initcompat writes"},
	} {
		_, err := ParseJournal([]byte(journalHeader + "\n" + c.journal))
		if err == nil || !strings.Contains(err.Error(), c.refused) {
			t.Errorf("%q: want a refusal saying %q, got %v", c.journal, c.refused, err)
		}
	}
}
