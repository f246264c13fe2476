package cfn

import "testing"

// Templates never panic the reader, however they are broken.
func FuzzTemplate(f *testing.F) {
	f.Add("Resources:\n  A:\n    Metadata:\n      AWS::CloudFormation::Init:\n        configSets: {default: [{ConfigSet: x}]}\n")
	f.Add(`{"Resources":{"A":{"Metadata":{"AWS::CloudFormation::Init":{"config":{"services":{"sysvinit":{"a":{"enabled":1}}}}}}}}}`)
	f.Add("a: !GetAtt\nb: &x [*x]\n")
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := ParseTemplate("t", []byte(src))
		if err == nil {
			_, _, _ = FromTemplate(tmpl, "", nil, nil)
			_, _, _ = FromTemplate(tmpl, "", []string{"x", "default"}, map[string]string{"Env": "prod"})
		}
	})
}
