module github.com/ccr-project/ccr/bindings/go/ccr

go 1.22
