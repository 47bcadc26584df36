# lambdaudit — the README's test command is `make test`; .ci/run calls it.
.PHONY: test lint unit bench demo memory

STATICCHECK_VERSION := v0.8.2

## test: every test — lint, unit, wire-level and conformance (moto_server, aws CLI, cfn-lint)
test:
	./scripts/test.sh

## lint: gofmt, go vet, staticcheck
lint:
	./scripts/test.sh lint

## bench: the package benchmarks that back the figures in the docs
bench:
	go test -run '^$$' -bench . -benchmem ./sim/...

## memory: peak RSS of a default scan of 50,000 functions against the sim in another process (~10 min; N=… to change)
memory:
	./scripts/memory.sh $(or $(N),50000)
