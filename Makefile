# lambdaudit — the README's test command is `make test`; .ci/run calls it.
.PHONY: test lint unit bench bench-lambda demo memory

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

## bench-lambda: the distributed benchmark — 20 accounts × 2 regions × 500 functions, the bootstrap under the RIE as WORKERS=10 workers over moto SQS; RUNS=fifo,standard,fifo-kill (~10 min; docs/lambda-bench.md)
WORKERS ?= 10
RUNS ?= fifo,standard,fifo-kill
bench-lambda:
	LAMBDAUDIT_BENCH_LAMBDA=1 LAMBDAUDIT_BENCH_WORKERS=$(WORKERS) LAMBDAUDIT_BENCH_RUNS=$(RUNS) \
		go test -count=1 -run '^TestDistributedBenchmark$$' -v -timeout 60m ./lambdahost/

## memory: peak RSS of a default scan of 50,000 functions against the sim in another process (~10 min; N=… to change)
memory:
	./scripts/memory.sh $(or $(N),50000)
