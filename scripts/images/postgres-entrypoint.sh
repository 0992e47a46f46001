#!/bin/sh
# Entry point of the local PostgreSQL test image (Debian's postgresql package). It honours
# the official postgres image's variables (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB):
# an empty data directory is initialised with that superuser and database, and the server
# runs as the postgres user, listening on every address with scram-sha-256 for host
# connections. Arguments are passed on to postgres (a leading "postgres" is dropped), so
# "-c fsync=off" works as with the official image.
set -eu
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDATA=${PGDATA:-/var/lib/postgresql/data}
user=${POSTGRES_USER:-postgres}
password=${POSTGRES_PASSWORD:-}
db=${POSTGRES_DB:-$user}
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  auth=scram-sha-256
  pwfile=/run/postgresql/pwfile
  if [ -n "$password" ]; then
    printf '%s\n' "$password" > "$pwfile"
    chown postgres:postgres "$pwfile"
    as_postgres "$bin/initdb" -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
  else
    echo "postgres-entrypoint: POSTGRES_PASSWORD is empty: host connections are trusted" >&2
    auth=trust
    as_postgres "$bin/initdb" -D "$PGDATA" -U "$user" -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=trust >/dev/null
  fi
  echo "host all all all $auth" >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    # A server on the socket only, for the one statement that creates the database.
    as_postgres "$bin/pg_ctl" -D "$PGDATA" -w -s -o "-c listen_addresses='' -c unix_socket_directories=/run/postgresql" start
    escaped=$(printf '%s' "$db" | sed 's/"/""/g')
    as_postgres psql -q -v ON_ERROR_STOP=1 -h /run/postgresql -U "$user" -d postgres \
      -c "CREATE DATABASE \"$escaped\"" >/dev/null
    as_postgres "$bin/pg_ctl" -D "$PGDATA" -w -s -m fast stop
  fi
fi
[ "${1:-}" != postgres ] || shift
# docker stop sends SIGTERM, which postgres takes for a "smart" shutdown that waits until every
# client has left; the official image sets STOPSIGNAL SIGINT (a fast shutdown), which docker import
# cannot, so the shell stays in front and turns TERM into INT.
setpriv --reuid=postgres --regid=postgres --init-groups "$bin/postgres" -D "$PGDATA" \
  -c listen_addresses='*' -c port=5432 -c unix_socket_directories=/run/postgresql "$@" &
pid=$!
trap 'kill -INT "$pid" 2>/dev/null' TERM INT
set +e
wait "$pid"; status=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; status=$?; done
exit "$status"
