#!/usr/bin/env bash
# Builds the image (make image) and runs it the way production would: waits
# for the container's health check to say healthy, registers and logs in
# through the published port, checks that the process does not run as root,
# and removes the container. Every wait has a deadline.
set -euo pipefail
cd "$(dirname "$0")/.."
image=authd:ci-$$
make -s image IMAGE="$image"
name=authd-image-test-$$
cleanup() { docker rm -f "$name" >/dev/null 2>&1 || true; docker image rm "$image" >/dev/null 2>&1 || true; }
trap cleanup EXIT
docker run -d --name "$name" -p 127.0.0.1::3000 --health-interval=1s --health-start-period=30s \
  -e AUTH_REQUIRE_EMAIL_VERIFICATION=false -e AUTH_COOKIE_SECURE=false "$image" >/dev/null

deadline=$((SECONDS + 60))
until [ "$(docker inspect -f '{{.State.Health.Status}}' "$name")" = healthy ]; do
  if [ $SECONDS -ge $deadline ] || [ "$(docker inspect -f '{{.State.Running}}' "$name")" != true ]; then
    echo "image test: the container did not become healthy"; docker logs "$name" | tail -20; exit 1
  fi
  sleep 0.5
done
port=$(docker port "$name" 3000/tcp | head -1)
base="http://$port/api/v1/auth"
code=$(curl -s -o /tmp/authd-image-register.json -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"email":"ci@example.com","password":"a long passphrase 42"}' "$base/register")
[ "$code" = 201 ] || { echo "image test: register answered $code"; cat /tmp/authd-image-register.json; exit 1; }
code=$(curl -s -o /tmp/authd-image-login.json -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"email":"ci@example.com","password":"a long passphrase 42"}' "$base/login")
[ "$code" = 200 ] && grep -q '"accessToken"' /tmp/authd-image-login.json || { echo "image test: login answered $code"; cat /tmp/authd-image-login.json; exit 1; }

user=$(docker inspect -f '{{.Config.User}}' "$name")
uids=$(docker top "$name" -o pid,uid | awk 'NR > 1 {print $2}')
case "$user" in ""|0|0:*|root|root:*) echo "image test: the image runs as root ($user)"; exit 1;; esac
[ -n "$uids" ] && ! grep -qx 0 <<<"$uids" || { echo "image test: a process of the container runs as root: $uids"; exit 1; }
# The logins hashed in the password worker: a second process of the binary, at the lowest priority.
niced=$(docker top "$name" -o pid,ni,args | awk 'NR > 1 && $2 == 19 && $3 == "/authd" && NF == 3' | wc -l)
[ "$niced" = 1 ] || { echo "image test: no password worker at nice 19:"; docker top "$name" -o pid,ni,uid,args; exit 1; }
! docker logs "$name" 2>&1 | grep -q password_worker || { echo "image test: the password worker failed:"; docker logs "$name" 2>&1 | grep password_worker; exit 1; }
uids=$(tr '\n' ' ' <<<"$uids")
echo "image test: healthy, register and login through port $port (hashed in the password worker at nice 19), running as uid ${uids% } ($(docker exec "$name" /authd version | head -1))"
