#!/usr/bin/env bash
# Runs the whole test suite under the race detector and ends with one line that
# counts the tests: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
pkgs=("$@"); [ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
json=$(mktemp); trap 'rm -f "$json"' EXIT
go tool gotestsum --format pkgname-and-test-fails --jsonfile "$json" -- -race -count=1 "${pkgs[@]}"
status=$?
count() { grep -c "\"Action\":\"$1\",\"Package\":\"[^\"]*\",\"Test\":" "$json" || true; }
passed=$(count pass); failed=$(count fail); skipped=$(count skip)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "(a package failed to build or exited early)"; fi
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
