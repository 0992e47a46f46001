#!/usr/bin/env bash
# Runs the whole test suite under the race detector, then the HTTP tests of
# cmd/authd a second time on MySQL + memcached and a third time on PostgreSQL +
# memcached in containers (when a Docker engine answers), and the tests of the
# verifier modules (verifier/, verifier/fiberverifier), and ends with one line
# that counts every test of all runs:
# "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
pkgs=("$@"); [ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
json=$(mktemp); json2=$(mktemp); json3=$(mktemp); json4=$(mktemp); trap 'rm -f "$json" "$json2" "$json3" "$json4"' EXIT

go tool gotestsum --format pkgname-and-test-fails --jsonfile "$json" -- -race -count=1 "${pkgs[@]}"
status=$?

if [ "${pkgs[*]}" = "./..." ]; then
  # The verifier's own modules (./... of the root module stops at their go.mod).
  for mod in verifier verifier/fiberverifier; do
    go tool gotestsum --format pkgname-and-test-fails --jsonfile "$json4.part" --raw-command -- go test -C "$mod" -json -race -count=1 ./...
    s4=$?; [ "$status" -ne 0 ] || status=$s4; cat "$json4.part" >>"$json4"; rm -f "$json4.part"
  done
  if docker info >/dev/null 2>&1; then
    echo "== the HTTP tests again, on MySQL + memcached (AUTH_TEST_BACKEND=mysql)"
    AUTH_TEST_BACKEND=mysql go tool gotestsum --format pkgname-and-test-fails --jsonfile "$json2" -- -race -count=1 ./cmd/authd
    s2=$?; [ "$status" -ne 0 ] || status=$s2
    echo "== the HTTP tests again, on PostgreSQL + memcached (AUTH_TEST_BACKEND=postgres)"
    AUTH_TEST_BACKEND=postgres go tool gotestsum --format pkgname-and-test-fails --jsonfile "$json3" -- -race -count=1 ./cmd/authd
    s3=$?; [ "$status" -ne 0 ] || status=$s3
  elif [ "${AUTH_REQUIRE_CONTAINERS:-}" = 1 ]; then
    echo "no Docker engine: the MySQL and PostgreSQL + memcached runs of the HTTP tests cannot run (AUTH_REQUIRE_CONTAINERS=1)"; status=1
  else
    echo "SKIPPED LOUDLY: no Docker engine, so the HTTP tests ran on the embedded default only (scripts/test-infra.sh sets one up)"
  fi
fi

count() { cat "$json" "$json2" "$json3" "$json4" | grep -c "\"Action\":\"$1\",\"Package\":\"[^\"]*\",\"Test\":" || true; }
passed=$(count pass); failed=$(count fail); skipped=$(count skip)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "(a package failed to build or exited early)"; fi
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
