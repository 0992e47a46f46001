#!/usr/bin/env bash
# Builds the authd image from the Dockerfile at the root of the repository and
# a small build context: the static binary, the host's CA certificates (for
# SMTP over TLS) and an empty /data. Usage: scripts/image.sh IMAGE BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
image=$1 bin=$2
ctx=$(mktemp -d /tmp/authd-image.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
install -m 0755 "$bin" "$ctx/authd"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
else
  : >"$ctx/ca-certificates.crt"
fi
mkdir -m 0750 "$ctx/data"
docker build -q -f Dockerfile -t "$image" "$ctx" >/dev/null
echo "built $image"
