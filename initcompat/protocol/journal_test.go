//go:build linux

package protocol

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
)

// journal.sh states journal.go's bounds and headers as its own variables:
// they must be the same, or sh and Go read a journal differently.
func TestJournalShellConstants(t *testing.T) {
	for _, want := range []string{
		fmt.Sprintf("jc_max_journal=%d\n", MaxJournalSize),
		fmt.Sprintf("jc_max_proof=%d\n", MaxProofSize),
		fmt.Sprintf("jc_depth=%d\n", maxDepth),
		fmt.Sprintf("jc_header='%s'\n", journalHeader),
		fmt.Sprintf("jc_manifest_header='%s'\n", plan.ManifestHeader),
	} {
		if !strings.Contains(journalSh, want) {
			t.Errorf("journal.sh lacks %q", want)
		}
	}
}

// shapeCases are journals whose shape (alone, before the image is read)
// is refused, and what the refusal says in Go; "" for journals an apply
// writes.
func shapeCases() []struct{ journal, refused string } {
	proof := FileProof(strings.Repeat("0", 64))
	return []struct{ journal, refused string }{
		{"state begin\nstate done\n", "2 state lines"},
		{"state begin\nmkdir /etc/x\n", "mkdir /etc/x holds nothing"},
		{"state done\nstagedir /etc/x/.initcompat-stage\n", "holds no new path"},
		{"state done\nasidedir /etc/init.d/.initcompat-stage\naside /etc/init.d/a\n", "is not named .initcompat-old"},
		{"state begin\nstagedir /etc/init.d/.initcompat-stage\nnew /etc/init.d/a\n", "\"\" is not an absolute, clean path"},
		{"state begin\nstagedir /etc/init.d/.initcompat-stage\nnew " + proof + " /etc/init.d/../passwd\n", "clean"},
		{"state begin\nmanifest /var/lib/.initcompat-lock/m\n", "not a place"},
		{"state begin\nbogus /x\n", "line 3"},
		{"state done\nrmdir /home/user\n", "/home/user is not a path initcompat writes"},
		// Directories the apply makes are staged whole beside their
		// parent: never a stage directory inside one, always one beside.
		{"state begin\nmkdir /etc/initcompat\nstagedir /etc/initcompat/.initcompat-stage\nnew " + proof + " /etc/initcompat/a\n", "/etc/initcompat/.initcompat-stage holds no new path"},
		{"state begin\nmkdir /etc/initcompat\nnew " + proof + " /etc/initcompat/a\n", "/etc/initcompat has no /etc/.initcompat-stage listed"},
		{"state begin\nmkdir /etc/initcompat\nmkdir /etc/initcompat/y\nstagedir /etc/.initcompat-stage\nstagedir /etc/initcompat/.initcompat-stage\nnew " + proof + " /etc/initcompat/y/a\n", "/etc/initcompat/.initcompat-stage holds no new path"},
		{"state begin\nmkdir /etc/initcompat\nmkdir /etc/initcompat/y\nstagedir /etc/.initcompat-stage\nnew " + proof + " /etc/initcompat/y/a\n", ""},
		{"state commit\nmkdir /etc/systemd/system/a.service.d\nstagedir /etc/init.d/.initcompat-stage\nstagedir /etc/systemd/system/.initcompat-stage\nnew " + proof + " /etc/init.d/a\nnew " + proof + " /etc/systemd/system/a.service.d/x.conf\n", ""},
	}
}

// A journal's shape is checked before the image is read: what recovery
// would refuse, Steps refuses to journal too.
func TestJournalShape(t *testing.T) {
	for _, c := range shapeCases() {
		_, err := ParseJournal([]byte(journalHeader+"\n"+c.journal), testPlaces)
		if c.refused == "" {
			if err != nil {
				t.Errorf("%q: an apply's journal refused: %v", c.journal, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.refused) {
			t.Errorf("%q: want a refusal saying %q, got %v", c.journal, c.refused, err)
		}
	}
}

// journal.sh's journal_check, run by the machine's sh over an empty
// image, refuses exactly the shapes Go refuses.
func TestJournalShapeShellAgrees(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run journal_check with")
	}
	for _, c := range shapeCases() {
		dir := t.TempDir()
		jf := filepath.Join(dir, "journal")
		if err := os.WriteFile(jf, []byte(journalHeader+"\n"+c.journal), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", "-c", ShellLib(testPlaces)+`journal_check "$1"`, "sh", jf)
		cmd.Env = append(os.Environ(), "INITCOMPAT_ROOT="+dir)
		out, err := cmd.CombinedOutput()
		if refused := err != nil; refused != (c.refused != "") {
			t.Errorf("%q: journal_check refused %v, Go %v: %s", c.journal, refused, c.refused != "", out)
		}
	}
}
