package cfn

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func load(t *testing.T, name string) *Template {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := ParseTemplate(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func TestYAMLWithConfigSetsAndShortTags(t *testing.T) {
	tmpl := load(t, "web.yaml")
	// Tags parse without being evaluated.
	props := tmpl.Body["Resources"].(map[string]any)["WebServer"].(map[string]any)["Properties"].(map[string]any)
	if _, ok := props["ImageId"].(map[string]any)["Fn::FindInMap"]; !ok {
		t.Errorf("!FindInMap: %#v", props["ImageId"])
	}
	tag := props["Tags"].([]any)[0].(map[string]any)["Value"]
	if !reflect.DeepEqual(tag, map[string]any{"Fn::GetAtt": []any{"Other", "PublicIp"}}) {
		t.Errorf("!GetAtt: %#v", tag)
	}
	svcs, _, err := FromTemplate(tmpl, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range svcs {
		got = append(got, s.Key+":"+s.Name+"@"+s.Resource+"/"+s.Config+" enabled="+str(s.Enabled)+" running="+str(s.EnsureRunning))
	}
	want := []string{
		"systemd:postfix@WebServer/run enabled=true running=true",
		"sysvinit:cron@WebServer/run enabled=true running=-",
		"sysvinit:hello@WebServer/run enabled=false running=false",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("services:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A named set that is not the default reaches only its configs.
	if svcs, _, err := FromTemplate(tmpl, "WebServer", []string{"services"}, nil); err != nil || len(svcs) != 3 {
		t.Errorf("config_sets = [services]: %v %v", svcs, err)
	}
	if _, _, err := FromTemplate(tmpl, "WebServr", nil, nil); err == nil || !strings.Contains(err.Error(), "resources: Bucket WebServer") {
		t.Errorf("unknown resource: %v", err)
	}
	if _, _, err := FromTemplate(tmpl, "", []string{"nope"}, nil); err == nil || !strings.Contains(err.Error(), `no configSet "nope"`) {
		t.Errorf("unknown config set: %v", err)
	}
}

func TestJSONWithoutConfigSets(t *testing.T) {
	svcs, _, err := FromTemplate(load(t, "single.json"), "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 1 || svcs[0].Name != "hello-upstart" || svcs[0].Config != "config" || *svcs[0].EnsureRunning {
		t.Fatalf("services: %+v", svcs)
	}
	if w := svcs[0].Where(); w != "single.json resource Legacy config config services.sysvinit.hello-upstart" || svcs[0].At() != "single.json:10" {
		t.Errorf("Where: %q", w)
	}
}

func TestMalformedTemplatesSayWhere(t *testing.T) {
	for name, want := range map[string]string{
		"broken.json": "broken.json: line 3, column",
		"broken.yaml": "broken.yaml: yaml: line ",
	} {
		data, _ := os.ReadFile(filepath.Join("testdata", name))
		if _, err := ParseTemplate(name, data); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", name, err, want)
		}
	}
	if _, _, err := FromTemplate(load(t, "loop.yaml"), "", nil, nil); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("a configSet loop: %v", err)
	}
}

func str(b *bool) string {
	if b == nil {
		return "-"
	}
	if *b {
		return "true"
	}
	return "false"
}

func TestHostileYAMLIsRefused(t *testing.T) {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h"} {
		laughs += n + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = n
	}
	for name, src := range map[string]string{
		"self alias":     "a: &x [*x]\n",
		"billion laughs": laughs,
	} {
		if _, err := ParseTemplate(name, []byte(src)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
