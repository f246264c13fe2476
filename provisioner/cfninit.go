//go:generate go tool packer-sdc struct-markdown

package provisioner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/cfn"
)

// CfnInitConfig is one `cfn_init` block: where the AWS::CloudFormation::Init
// metadata that will launch the image is.
type CfnInitConfig struct {
	// A CloudFormation template on the machine running Packer, JSON or YAML
	// (short-form tags such as `!Ref` and `!Sub` included): a regular file
	// (a link to one is followed; a FIFO or a device is refused unread) of
	// at most 1 MB, CloudFormation's own limit for a template.
	TemplateFile string `mapstructure:"template_file"`
	// Or the name of a live stack, read with the AWS SDK's standard
	// credential chain (`cloudformation:GetTemplate` and
	// `cloudformation:DescribeStackResource`).
	StackName string `mapstructure:"stack_name"`
	// Region of the stack; defaults to the SDK's (AWS_REGION, the profile).
	Region string `mapstructure:"region"`
	// Shared-config profile for the stack's credentials.
	Profile string `mapstructure:"profile"`
	// CloudFormation endpoint URL, for VPC endpoints and test servers.
	Endpoint string `mapstructure:"endpoint"`
	// Logical ID of the resource whose metadata cfn-init reads. Defaults to
	// every resource with AWS::CloudFormation::Init metadata.
	Resource string `mapstructure:"resource"`
	// Config sets cfn-init will run (`cfn-init --configsets`), as the
	// instance's user data passes them. Defaults to `default`, cfn-init's own
	// default. Metadata without a configSets key has only the set `default`,
	// which runs the one config named `config`: other configs never run.
	ConfigSets []string `mapstructure:"config_sets"`
	// Values of the template's parameters, as the stack will be created
	// with them (`{ Env = "prod" }`; pseudo parameters such as
	// `"AWS::Region"` too). With the parameters' `Default`s (and the
	// template's `Mappings`) they decide the template's `Conditions` and
	// the functions of the Init metadata as CloudFormation will: `Fn::If`
	// and `AWS::NoValue`, `Ref`, `Fn::Join`, `Fn::Select`, `Fn::Split`,
	// `Fn::Sub`, `Fn::FindInMap`. A condition they cannot decide takes both
	// branches, and the plan says so; a function they cannot decide where
	// cfn-init needs a value (a config set, an option) fails the build
	// naming it (`Fn::GetAtt`, `Fn::ImportValue`, a parameter without a
	// value). Only with `template_file`: a stack's metadata is resolved
	// already.
	Parameters map[string]string `mapstructure:"parameters"`
}

func (c CfnInitConfig) check(i int) error {
	switch {
	case c.TemplateFile == "" && c.StackName == "":
		return fmt.Errorf("cfn_init block %d: set template_file or stack_name", i+1)
	case c.TemplateFile != "" && c.StackName != "":
		return fmt.Errorf("cfn_init block %d: set template_file or stack_name, not both", i+1)
	case c.TemplateFile != "" && (c.Region != "" || c.Profile != "" || c.Endpoint != ""):
		return fmt.Errorf("cfn_init block %d: region, profile and endpoint go with stack_name", i+1)
	case c.StackName != "" && len(c.Parameters) > 0:
		return fmt.Errorf("cfn_init block %d: parameters go with template_file: the metadata of stack %s is read as CloudFormation resolved it", i+1, c.StackName)
	}
	return nil
}

// cfnInit reads every cfn_init block: the services cfn-init will manage,
// and what it does with the entries that name none (cfn.Note, each at its
// template line).
func (p *Provisioner) cfnInit(ctx context.Context) ([]cfn.Service, []cfn.Note, error) {
	var out []cfn.Service
	var notes []cfn.Note
	for _, c := range p.config.CfnInit {
		var svcs []cfn.Service
		var ns []cfn.Note
		var err error
		if c.TemplateFile != "" {
			svcs, ns, err = templateServices(ctx, c)
		} else {
			svcs, ns, err = stackServices(ctx, c)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("initcompat: cfn_init: %w", err)
		}
		out = append(out, svcs...)
		notes = append(notes, ns...)
	}
	return out, notes, nil
}

func templateServices(ctx context.Context, c CfnInitConfig) ([]cfn.Service, []cfn.Note, error) {
	data, err := readTemplate(ctx, c.TemplateFile)
	if err != nil {
		return nil, nil, fmt.Errorf("template_file: %w", err)
	}
	tmpl, err := cfn.ParseTemplate(c.TemplateFile, data)
	if err != nil {
		return nil, nil, err
	}
	return cfn.FromTemplate(tmpl, c.Resource, c.ConfigSets, c.Parameters)
}

// readTemplate reads a template_file as CloudFormation could take it: a
// regular file (a link is followed to one; a FIFO, a device such as
// /dev/zero, a directory or a socket is refused, seen on the open file
// without reading it), at most cfn.MaxTemplateBytes, and not past ctx (the
// provisioner's timeout, the build's cancellation).
func readTemplate(ctx context.Context, path string) ([]byte, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { _ = f.Close() }()
		fi, err := f.Stat()
		if err != nil {
			done <- result{nil, err}
			return
		}
		if !fi.Mode().IsRegular() {
			done <- result{nil, fmt.Errorf("%s is a %s, not a regular file: a template is read from a file", path, fileKind(fi.Mode()))}
			return
		}
		data, err := io.ReadAll(io.LimitReader(f, cfn.MaxTemplateBytes+1))
		if err == nil && len(data) > cfn.MaxTemplateBytes {
			err = fmt.Errorf("%s holds more than %d bytes, the most CloudFormation takes in a template (\"Template body size in an Amazon S3 object: 1 MB\")", path, cfn.MaxTemplateBytes)
		}
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("reading %s: %w", path, ctx.Err())
	}
}

// fileKind names a file type for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m.IsDir():
		return "directory"
	}
	return "special file"
}

// stackServices reads a live stack: its processed template to find the
// resources with Init metadata, then each resource's metadata as
// CloudFormation resolved it.
func stackServices(ctx context.Context, c CfnInitConfig) ([]cfn.Service, []cfn.Note, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	if c.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(c.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("stack %s: loading AWS configuration: %w", c.StackName, err)
	}
	if cfg.Region == "" {
		return nil, nil, fmt.Errorf("stack %s: no AWS region: set region in the cfn_init block, or AWS_REGION", c.StackName)
	}
	client := cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
	})
	source := "stack " + c.StackName
	tpl, err := client.GetTemplate(ctx, &cloudformation.GetTemplateInput{
		StackName: aws.String(c.StackName), TemplateStage: cftypes.TemplateStageProcessed})
	if err != nil {
		return nil, nil, awsError(source, "cloudformation:GetTemplate", err)
	}
	tmpl, err := cfn.ParseTemplate(source, []byte(aws.ToString(tpl.TemplateBody)))
	if err != nil {
		return nil, nil, err
	}
	names, err := cfn.InitResources(source, tmpl.Body, c.Resource)
	if err != nil {
		return nil, nil, err
	}
	var out []cfn.Service
	var notes []cfn.Note
	for _, n := range names {
		r, err := client.DescribeStackResource(ctx, &cloudformation.DescribeStackResourceInput{
			StackName: aws.String(c.StackName), LogicalResourceId: aws.String(n)})
		if err != nil {
			return nil, nil, awsError(source, "cloudformation:DescribeStackResource", err)
		}
		var md map[string]any
		if r.StackResourceDetail == nil || r.StackResourceDetail.Metadata == nil {
			return nil, nil, fmt.Errorf("%s: resource %s has no metadata", source, n)
		}
		if err := json.Unmarshal([]byte(*r.StackResourceDetail.Metadata), &md); err != nil {
			return nil, nil, fmt.Errorf("%s: resource %s: metadata is not JSON: %w", source, n, err)
		}
		svcs, ns, err := cfn.FromMetadata(source, n, md, c.ConfigSets)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, svcs...)
		notes = append(notes, ns...)
	}
	return out, notes, nil
}

// awsError says what to fix for the errors people meet.
func awsError(source, action string, err error) error {
	var api smithy.APIError
	switch {
	case strings.Contains(err.Error(), "failed to retrieve credentials") || strings.Contains(err.Error(), "no EC2 IMDS role found"):
		return fmt.Errorf("%s: no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or profile in the cfn_init block (%w)", source, err)
	case errors.As(err, &api) && (api.ErrorCode() == "AccessDenied" || api.ErrorCode() == "AccessDeniedException"):
		return fmt.Errorf("%s: access denied: the credentials need %s (%s)", source, action, api.ErrorMessage())
	case errors.As(err, &api) && (api.ErrorCode() == "InvalidClientTokenId" || api.ErrorCode() == "ExpiredToken" || api.ErrorCode() == "SignatureDoesNotMatch"):
		return fmt.Errorf("%s: AWS rejected the credentials (%s: %s); refresh them", source, api.ErrorCode(), api.ErrorMessage())
	case errors.As(err, &api):
		return fmt.Errorf("%s: %s: %s: %s", source, action, api.ErrorCode(), api.ErrorMessage())
	}
	return fmt.Errorf("%s: %s: %w", source, action, err)
}
