module github.com/ccr-project/ccr/bindings/go

go 1.22
