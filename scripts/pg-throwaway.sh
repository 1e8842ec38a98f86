#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: initdb into a temp dir, trust auth, loopback
# only, a spare port, fsync off.
#   scripts/pg-throwaway.sh start   prints shell exports (VOXDIAL_TEST_POSTGRES_URL, PG_THROWAWAY_DIR)
#   scripts/pg-throwaway.sh stop DIR
set -euo pipefail

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get install -y -qq postgresql >&2
      dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    else
      echo "PostgreSQL server binaries not found (install the postgresql package)" >&2
      exit 1
    fi
  fi
  echo "$dir"
}

# PostgreSQL refuses to run as root; as root, run it as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}

case "${1:-}" in
  start)
    bin=$(pg_bin)
    dir=$(mktemp -d /tmp/voxdial-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_pg "$bin/initdb -D $dir/data -A trust -U postgres >$dir/initdb.log 2>&1"
    as_pg "$bin/pg_ctl -D $dir/data -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300' -l $dir/server.log -w start >/dev/null"
    echo "export VOXDIAL_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
    echo "export PG_THROWAWAY_DIR=$dir"
    ;;
  stop)
    dir=${2:?usage: pg-throwaway.sh stop DIR}
    bin=$(pg_bin)
    as_pg "$bin/pg_ctl -D $dir/data -m immediate stop >/dev/null 2>&1" || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
