package provisioner

import (
	"bytes"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree/treetest"
	"github.com/initcompat/packer-plugin-initcompat/internal/shellcomm"
)

// helloImage writes testdata/hello.txtar, the hello.service story, into a
// fresh directory.
func helloImage(t *testing.T) string {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", "hello.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := treetest.Parse(ar.Files, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "root")
	if err := treetest.WriteDir(dir, ms); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fingerprint lists every path under dir with its kind, mode and content
// hash or link target, so two states of a tree compare byte for byte.
func fingerprint(t *testing.T, dir string) string {
	t.Helper()
	return treetest.Fingerprint(t, dir)
}

// shellComm stands in for SSH: the real scripts, run by the local sh.
type shellComm = shellcomm.Comm

// recordUI keeps what the provisioner said.
type recordUI struct {
	packersdk.Ui
	mu  sync.Mutex
	buf bytes.Buffer
}

func newRecordUI(t *testing.T) *recordUI { return &recordUI{Ui: packersdk.TestUi(t)} }

func (u *recordUI) Say(s string)     { u.mu.Lock(); u.buf.WriteString(s + "\n"); u.mu.Unlock() }
func (u *recordUI) Message(s string) { u.Say(s) }
func (u *recordUI) Error(s string)   { u.Say("ERROR " + s) }
func (u *recordUI) String() string   { u.mu.Lock(); defer u.mu.Unlock(); return u.buf.String() }

// applyScript renders the apply script whole, as tests want it.
func applyScript(p *plan.Plan) (string, error) {
	var b strings.Builder
	err := protocol.WriteScript(&b, p, protocol.Options{})
	return b.String(), err
}

// alive says whether a process exists, as the lock's takeover asks.
var alive = protocol.Alive

// hclConfig decodes an HCL body against the provisioner's spec, as Packer
// core does before it calls Prepare over RPC.
func hclConfig(t *testing.T, src string) cty.Value {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.pkr.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	v, diags := hcldec.Decode(f.Body, new(Provisioner).ConfigSpec(), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return v
}
