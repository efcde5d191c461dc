#!/usr/bin/env bash
# test.sh runs the whole test suite on a fresh machine: it starts a throw-away PostgreSQL
# cluster (the store tests run against both backends), makes sure headless Chromium is
# there for the setup-page browser test, then runs go vet and every Go test.
#
#   scripts/test.sh              # everything
#   scripts/test.sh ./policy/... # only some packages (PostgreSQL still started)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "test.sh: $*" >&2; }

if ! command -v chromium >/dev/null 2>&1; then
	log "installing chromium for the browser test"
	if [[ $(id -u) -eq 0 ]]; then
		apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2
	else
		sudo apt-get update >&2 && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2
	fi
fi

if [[ -z "${FOUREYES_TEST_POSTGRES_DSN:-}" ]]; then
	pgdir=$(mktemp -d /tmp/foureyes-pg.XXXXXX)
	chmod 755 "$pgdir"
	eval "$(scripts/pg-start.sh "$pgdir")"
	trap 'scripts/pg-start.sh --stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"' EXIT
fi
export FOUREYES_TEST_POSTGRES_DSN

pkgs=("$@")
[[ ${#pkgs[@]} -gt 0 ]] || pkgs=(./...)
go vet "${pkgs[@]}"
go test -count=1 -timeout 30m "${pkgs[@]}"
