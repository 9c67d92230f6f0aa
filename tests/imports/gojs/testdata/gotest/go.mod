module gotest

go 1.21
