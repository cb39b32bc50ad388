module robotbridge

go 1.26
