#!/usr/bin/env bash
# Makes this machine ready for the container and browser tests, from nothing: Chromium, a Docker engine
# (Debian's docker.io), and local MySQL-compatible (MariaDB 10.11), PostgreSQL 15 and memcached
# images built from Debian packages, since no registry is reachable here.
# Idempotent: whatever is already there is kept. Prints the variables to export.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
MYSQL_IMAGE=${AUTH_TEST_MYSQL_IMAGE:-authd-test/mariadb:10.11}
MEMCACHED_IMAGE=${AUTH_TEST_MEMCACHED_IMAGE:-authd-test/memcached:1.6}
POSTGRES_IMAGE=${AUTH_TEST_POSTGRES_IMAGE:-authd-test/postgres:15}
log() { echo "test-infra: $*" >&2; }

apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { apt-get update -qq >/tmp/authd-apt.log 2>&1; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/tmp/authd-apt.log 2>&1 || { tail -30 /tmp/authd-apt.log >&2; return 1; }
}

# wait_for CMD... polls a command for up to 60 s.
wait_for() {
  local deadline=$((SECONDS + 60))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

if [ ! -x /usr/bin/chromium ]; then
  log "installing Chromium for the browser test"
  apt_install chromium
fi

if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1; then
    log "installing the Docker engine (docker.io)"
    apt_install docker.io
  fi
  if ! pgrep -x dockerd >/dev/null; then
    log "starting dockerd"
    nohup dockerd >/tmp/authd-dockerd.log 2>&1 &
  fi
  wait_for docker info || { log "dockerd did not start:"; tail -20 /tmp/authd-dockerd.log >&2; exit 1; }
fi

if ! docker image inspect "$MYSQL_IMAGE" >/dev/null 2>&1 || ! docker image inspect "$MEMCACHED_IMAGE" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  rootfs=$(mktemp -d /tmp/authd-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  log "building the image root file system from $mirror (about a minute)"
  debootstrap --variant=minbase --include=mariadb-server,memcached bookworm "$rootfs" "$mirror" >/tmp/authd-debootstrap.log 2>&1 ||
    { tail -20 /tmp/authd-debootstrap.log >&2; exit 1; }
  install -m 0755 "$here/images/mariadb-entrypoint.sh" "$rootfs/usr/local/bin/docker-entrypoint.sh"
  rm -rf "$rootfs/var/lib/mysql"/* "$rootfs/var/cache/apt/archives"/*.deb
  log "importing $MYSQL_IMAGE"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change 'EXPOSE 3306' --change 'ENV LANG=C.UTF-8' - "$MYSQL_IMAGE" >/dev/null
  log "importing $MEMCACHED_IMAGE"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENTRYPOINT ["memcached"]' --change 'CMD ["-l","0.0.0.0","-p","11211","-U","0","-M"]' \
    --change 'USER nobody' --change 'EXPOSE 11211' - "$MEMCACHED_IMAGE" >/dev/null
fi

# PostgreSQL 15 (Debian's postgresql package) on a root file system of its own, so that each
# image is built only when it is missing.
if ! docker image inspect "$POSTGRES_IMAGE" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  pgroot=$(mktemp -d /tmp/authd-pgroot.XXXXXX)
  trap 'rm -rf "${rootfs:-}" "$pgroot"' EXIT
  log "building the PostgreSQL image root file system from $mirror (about a minute)"
  debootstrap --variant=minbase --include=postgresql bookworm "$pgroot" "$mirror" >/tmp/authd-debootstrap-pg.log 2>&1 ||
    { tail -20 /tmp/authd-debootstrap-pg.log >&2; exit 1; }
  install -m 0755 "$here/images/postgres-entrypoint.sh" "$pgroot/usr/local/bin/docker-entrypoint.sh"
  # The package's own cluster is not used: the entry point initialises PGDATA from the variables.
  rm -rf "$pgroot/var/lib/postgresql"/*/main "$pgroot/etc/postgresql"/*/main "$pgroot/var/cache/apt/archives"/*.deb
  log "importing $POSTGRES_IMAGE"
  tar -C "$pgroot" -c . | docker import \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change 'EXPOSE 5432' --change 'ENV LANG=C.UTF-8' --change 'ENV PGDATA=/var/lib/postgresql/data' - "$POSTGRES_IMAGE" >/dev/null
fi

cat <<VARS
export AUTH_TEST_MYSQL_IMAGE=$MYSQL_IMAGE
export AUTH_TEST_MEMCACHED_IMAGE=$MEMCACHED_IMAGE
export AUTH_TEST_POSTGRES_IMAGE=$POSTGRES_IMAGE
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_HOST_OVERRIDE=localhost
VARS
