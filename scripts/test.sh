#!/usr/bin/env bash
# The one test entry point: `make test` (README) and .ci/run call it.
# It installs nothing by hand: every peer tool it needs is either on the
# machine image (moto_server, aws, cfn-lint under pyenv) or fetched through
# the Go module proxy (staticcheck).
set -euo pipefail
cd "$(dirname "$0")/.."

# pyenv's shims hold moto_server, aws and cfn-lint on the machine image.
for d in "$HOME/.pyenv/shims" /root/.pyenv/shims; do
	[ -d "$d" ] && PATH="$PATH:$d"
done
export PATH

STATICCHECK_VERSION=$(sed -n 's/^STATICCHECK_VERSION := //p' Makefile)

lint() {
	echo "== gofmt"
	bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
	if [ -n "$bad" ]; then echo "gofmt needed:"; echo "$bad"; exit 1; fi
	echo "== go vet"
	go vet ./...
	echo "== staticcheck $STATICCHECK_VERSION"
	go run "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" ./...
}

# cfn-lint checks every CloudFormation/SAM template under infra/ (it
# understands SAM's Transform). Informational findings count too: a rule a
# template must break is ignored in that template's Metadata, with why.
cfnlint() {
	templates=$(find infra -name '*.yaml' -not -path 'infra/build/*' | sort)
	if command -v cfn-lint >/dev/null 2>&1; then
		echo "== cfn-lint $(cfn-lint --version | sed 's/^cfn-lint //')"
		# shellcheck disable=SC2086 # one word per template path
		cfn-lint --include-checks I --regions us-east-1 eu-west-1 us-gov-west-1 cn-north-1 -- $templates
	elif [ -n "${CI:-}" ]; then
		echo "cfn-lint is required in CI (it is on the machine image under pyenv)" >&2
		exit 1
	else
		echo "== cfn-lint not found: skipping the template lint (CI runs it)"
	fi
}

lint
cfnlint
[ "${1:-}" = lint ] && exit 0

# One moto_server for the whole run (tests start their own when unset).
if command -v moto_server >/dev/null 2>&1; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	moto_server -H 127.0.0.1 -p "$port" >/tmp/lambdaudit-moto.log 2>&1 &
	moto_pid=$!
	trap 'kill $moto_pid 2>/dev/null || true' EXIT
	for _ in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
		sleep 0.2
	done
	export LAMBDAUDIT_MOTO_URL="http://127.0.0.1:$port"
	echo "== moto_server on $LAMBDAUDIT_MOTO_URL"
elif [ -n "${CI:-}" ]; then
	echo "moto_server is required in CI (it is on the machine image under pyenv)" >&2
	exit 1
fi

echo "== go test"
go test -count=1 -timeout 15m ./...
