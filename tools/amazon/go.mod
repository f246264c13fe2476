module github.com/initcompat/packer-plugin-initcompat/tools/amazon

go 1.26.8

replace github.com/zclconf/go-cty => github.com/nywilken/go-cty v1.13.3
