module github.com/initcompat/packer-plugin-initcompat/tools/release

go 1.26.8
