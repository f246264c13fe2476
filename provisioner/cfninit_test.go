//go:build linux

package provisioner

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeCloudFormation stands in for AWS, which these machines cannot reach:
// a loopback HTTP server answering the two CloudFormation Query API actions
// initcompat calls, in the XML the real service sends.
type fakeCloudFormation struct {
	template string
	metadata map[string]string // logical ID -> metadata JSON
	deny     string            // an action answered with AccessDenied
	mu       sync.Mutex
	calls    []string
}

func (f *fakeCloudFormation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	action := r.Form.Get("Action")
	f.mu.Lock()
	f.calls = append(f.calls, action+" "+r.Form.Get("StackName")+" "+r.Form.Get("LogicalResourceId"))
	f.mu.Unlock()
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	const ns = `xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"`
	w.Header().Set("Content-Type", "text/xml")
	if action == f.deny {
		w.WriteHeader(403)
		fmt.Fprintf(w, `<ErrorResponse %s><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/builder is not authorized to perform: cloudformation:%s</Message></Error><RequestId>r1</RequestId></ErrorResponse>`, ns, action)
		return
	}
	if r.Form.Get("StackName") != "web" {
		w.WriteHeader(400)
		fmt.Fprintf(w, `<ErrorResponse %s><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id %s does not exist</Message></Error><RequestId>r2</RequestId></ErrorResponse>`, ns, esc(r.Form.Get("StackName")))
		return
	}
	switch action {
	case "GetTemplate":
		fmt.Fprintf(w, `<GetTemplateResponse %s><GetTemplateResult><TemplateBody>%s</TemplateBody><StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable></GetTemplateResult><ResponseMetadata><RequestId>r3</RequestId></ResponseMetadata></GetTemplateResponse>`, ns, esc(f.template))
	case "DescribeStackResource":
		id := r.Form.Get("LogicalResourceId")
		fmt.Fprintf(w, `<DescribeStackResourceResponse %s><DescribeStackResourceResult><StackResourceDetail><StackName>web</StackName><StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/web/1</StackId><LogicalResourceId>%s</LogicalResourceId><PhysicalResourceId>i-0123</PhysicalResourceId><ResourceType>AWS::EC2::Instance</ResourceType><LastUpdatedTimestamp>2026-11-01T00:00:00Z</LastUpdatedTimestamp><ResourceStatus>CREATE_COMPLETE</ResourceStatus><Metadata>%s</Metadata></StackResourceDetail></DescribeStackResourceResult><ResponseMetadata><RequestId>r4</RequestId></ResponseMetadata></DescribeStackResourceResponse>`, ns, esc(id), esc(f.metadata[id]))
	default:
		w.WriteHeader(400)
		fmt.Fprintf(w, `<ErrorResponse %s><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>%s</Message></Error></ErrorResponse>`, ns, esc(action))
	}
}

// awsEnv gives the SDK credentials (or none) and keeps it off the network:
// no instance metadata, no shared files of the machine.
func awsEnv(t *testing.T, withCreds bool) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	if withCreds {
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	} else {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	}
}

func stackFake() *fakeCloudFormation {
	return &fakeCloudFormation{
		template: "Resources:\n  WebServer:\n    Type: AWS::EC2::Instance\n    Metadata:\n      AWS::CloudFormation::Init:\n        config:\n          services:\n            sysvinit:\n              hello: {enabled: !Ref Enable}\n    Properties: {ImageId: !Ref Ami}\n  Bucket:\n    Type: AWS::S3::Bucket\n",
		// Resolved by CloudFormation: the !Ref is a literal here.
		metadata: map[string]string{"WebServer": `{"AWS::CloudFormation::Init":{"config":{"services":{"sysvinit":{"hello":{"enabled":"false","ensureRunning":"false"}}}}}}`},
	}
}

func TestCfnInitFromStack(t *testing.T) {
	awsEnv(t, true)
	fake := stackFake()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	svcs, _, err := stackServices(context.Background(), CfnInitConfig{StackName: "web", Region: "eu-west-1", Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 1 || svcs[0].Name != "hello" || *svcs[0].Enabled || svcs[0].Where() != "stack web resource WebServer config config services.sysvinit.hello" {
		t.Fatalf("services: %+v", svcs)
	}
	want := []string{"GetTemplate web ", "DescribeStackResource web WebServer"}
	if strings.Join(fake.calls, "|") != strings.Join(want, "|") {
		t.Errorf("calls %q, want %q", fake.calls, want)
	}
}

func TestCfnInitStackErrorsSayWhatToDo(t *testing.T) {
	fake := stackFake()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cases := []struct {
		name  string
		creds bool
		cfg   CfnInitConfig
		deny  string
		want  string
	}{
		{"no credentials", false, CfnInitConfig{StackName: "web", Region: "eu-west-1", Endpoint: srv.URL}, "", "no AWS credentials found"},
		{"access denied", true, CfnInitConfig{StackName: "web", Region: "eu-west-1", Endpoint: srv.URL}, "DescribeStackResource", "access denied: the credentials need cloudformation:DescribeStackResource"},
		{"no stack", true, CfnInitConfig{StackName: "nope", Region: "eu-west-1", Endpoint: srv.URL}, "", "Stack with id nope does not exist"},
		{"no region", true, CfnInitConfig{StackName: "web", Endpoint: srv.URL}, "", "no AWS region"},
		{"no such resource", true, CfnInitConfig{StackName: "web", Region: "eu-west-1", Endpoint: srv.URL, Resource: "Web"}, "", `no resource "Web" (resources: Bucket WebServer)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			awsEnv(t, c.creds)
			fake.deny = c.deny
			_, _, err := stackServices(context.Background(), c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// A template naming a service the image lacks fails the build before the
// image is read, with the template's words and a suggestion.
func TestCfnInitTemplateMissingServiceChangesNothing(t *testing.T) {
	dir := helloImage(t)
	before := fingerprint(t, dir)
	tmpl := filepath.Join(t.TempDir(), "stack.yaml")
	if err := os.WriteFile(tmpl, []byte("Resources:\n  App:\n    Type: AWS::EC2::Instance\n    Metadata:\n      AWS::CloudFormation::Init:\n        config:\n          services:\n            sysvinit:\n              helo: {enabled: \"false\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir, "cfn_init": []map[string]interface{}{{"template_file": tmpl}}}); err != nil {
		t.Fatal(err)
	}
	ui := newRecordUI(t)
	err := p.Provision(context.Background(), ui, nil, nil)
	if out := ui.String(); err == nil || !strings.Contains(out, "resource App config config services.sysvinit.helo") || !strings.Contains(out, "did you mean hello?") {
		t.Fatalf("got %v\n%s", err, out)
	}
	if fingerprint(t, dir) != before {
		t.Fatal("the image changed")
	}
	if err := new(Provisioner).Prepare(map[string]interface{}{"cfn_init": []map[string]interface{}{{"template_file": tmpl, "stack_name": "x"}}}); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("both sources: %v", err)
	}
}

// Options written straight under sysvinit (a service's name left out) are
// no services: cfn-init 1.4 takes them for service names with no options
// and leaves them alone, so the build does not look for a service
// "enabled" in the image (issue 33, item 5); cfnInit says what cfn-init
// does there, at the template's line.
func TestCfnInitOptionKeysAreNoServices(t *testing.T) {
	dir := helloImage(t)
	tmpl := filepath.Join(t.TempDir(), "stack.yaml")
	if err := os.WriteFile(tmpl, []byte("Resources:\n  App:\n    Type: AWS::EC2::Instance\n    Metadata:\n      AWS::CloudFormation::Init:\n        config:\n          services:\n            sysvinit:\n              enabled: \"true\"\n              ensurerunning: \"true\"\n            hello: {enabled: \"true\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir, "mode": "plan", "cfn_init": []map[string]interface{}{{"template_file": tmpl}}}); err != nil {
		t.Fatal(err)
	}
	if err := p.Provision(context.Background(), newRecordUI(t), nil, nil); err != nil {
		t.Fatalf("the build failed: %v", err)
	}
	svcs, notes, err := p.cfnInit(context.Background())
	if err != nil || len(svcs) != 0 || len(notes) != 3 {
		t.Fatalf("services %v, notes %v, %v", svcs, notes, err)
	}
	for i, want := range []string{
		tmpl + ":11 resource App config config: services.hello: cfn-init logs \"Unsupported service manager: hello\"",
		tmpl + ":9 resource App config config: services.sysvinit.enabled is \"true\", not a mapping of options",
		tmpl + ":10 resource App config config: services.sysvinit.ensurerunning is \"true\", not a mapping of options",
	} {
		if !strings.HasPrefix(notes[i].String(), want) {
			t.Errorf("note %d: %s\nwant: %s...", i, notes[i], want)
		}
	}
}
