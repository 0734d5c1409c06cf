# Starts a disposable PostgreSQL 15 cluster under /tmp on a free port, for tests only.
# initdb refuses to run as root, so the cluster belongs to the `postgres` user.
PG_BIN=/usr/lib/postgresql/15/bin

start_throwaway_postgres() {
  PG_DIR=$(mktemp -d /tmp/minqing-pg.XXXXXX)
  chown postgres "$PG_DIR"
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  su postgres -s /bin/sh -c "$PG_BIN/initdb -D '$PG_DIR/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >'$PG_DIR/initdb.log'"
  su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PG_DIR/data' -l '$PG_DIR/server.log' -w -o \"-p $PG_PORT -k '$PG_DIR' -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null"
  THROWAWAY_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  export THROWAWAY_DATABASE_URL PG_DIR
  echo "ci: throw-away PostgreSQL on port $PG_PORT ($PG_DIR)"
}

stop_throwaway_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PG_DIR/data' -m immediate stop >/dev/null 2>&1" || true
  rm -rf "$PG_DIR"
}
