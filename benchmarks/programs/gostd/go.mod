module gostd

go 1.25
