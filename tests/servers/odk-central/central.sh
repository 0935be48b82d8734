#!/usr/bin/env bash
# A real ODK Central backend on loopback for tests/odk and `kiosk bench --only odk`.
#
#   bash central.sh start   # idempotent; stdout: KEY='value' lines only, progress on stderr
#   bash central.sh stop    # stops the backend and the database this state dir runs
#
# start: Node 24 (the npm registry package node-linux-<arch>, into the cache, unless a
# node 24 is on PATH), the tarball beside this script unpacked and `npm ci --omit=dev`
# (once per tarball and node), a private PostgreSQL cluster (run as the postgres OS user
# when root), migrations, the server, one admin user. Tests make projects and forms.
# PostgreSQL itself comes from the system: `python -m tests.setup_machine` installs it.
#
# Env: ODK_PORT (8383) ODK_PG_PORT (5483) ODK_ADMIN_EMAIL ODK_ADMIN_PASSWORD
#      ODK_STATE_DIR (/var/tmp/soum-kiosk-odk-<user>: database, logs, pid file)
#      ODK_CACHE_DIR ($HOME/.cache/soum-kiosk-odk: node, unpacked backend, node_modules)
# Printed: ODK_BASE ODK_API ODK_ADMIN_EMAIL ODK_ADMIN_PASSWORD, and ODK_STARTED=1 when this
# call started the backend (0 when it was already running).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TARBALL=$HERE/central-backend-4f5943d1.tar.gz
NODE_VERSION=24.16.0   # central-backend's package.json "volta" pin
STATE=${ODK_STATE_DIR:-/var/tmp/soum-kiosk-odk-$(id -un)}
CACHE=${ODK_CACHE_DIR:-$HOME/.cache/soum-kiosk-odk}
PORT=${ODK_PORT:-8383}
PG_PORT=${ODK_PG_PORT:-5483}
EMAIL=${ODK_ADMIN_EMAIL:-admin@example.test}
PASSWORD=${ODK_ADMIN_PASSWORD:-odk-central-local-admin}
BASE=http://127.0.0.1:$PORT
PGDATA=$STATE/pgdata
PIDFILE=$STATE/backend.pid

say() { echo "odk-central: $*" >&2; }
die() { echo "odk-central: ERROR: $*" >&2; exit 1; }

as_db() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
backend_pid() {  # the recorded backend, if it still is ours (same program, same state dir)
  local pid; pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "ODK_STATE_DIR=$STATE" && echo "$pid"
}
answering() { "$NODE" -e "fetch('$BASE/v1/users/current').then(()=>process.exit(0),()=>process.exit(1))"; }

stop() {
  local pid bin
  if pid=$(backend_pid); then
    say "stopping backend $pid"; kill -TERM "$pid"
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  bin=$(pg_bin)
  if [ -n "$bin" ] && [ -f "$PGDATA/postmaster.pid" ]; then
    (cd / && as_db "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1) || true
  fi
}

find_node() {  # a node 24 on PATH or in the cache, else the npm registry's node-linux-<arch>
  local arch cached cand
  arch=$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')
  cached=$CACHE/node-$NODE_VERSION/node_modules/node-linux-$arch/bin/node
  for cand in "$(command -v node || true)" "$cached"; do
    [ -x "$cand" ] && [ "$("$cand" -p 'process.versions.node.split(".")[0]')" = 24 ] && { echo "$cand"; return; }
  done
  command -v npm >/dev/null || die "needs Node 24 or npm to fetch it (apt-get install npm)"
  say "installing node-linux-$arch@$NODE_VERSION from the npm registry"
  npm install --prefix "$CACHE/node-$NODE_VERSION" --no-save --no-package-lock --no-audit --no-fund \
    "node-linux-$arch@$NODE_VERSION" >"$CACHE/node-install.log" 2>&1 \
    || die "installing Node failed, see $CACHE/node-install.log"
  echo "$cached"
}

unpack() {  # the backend tree with its node_modules, once per tarball and node version
  SRC=$CACHE/central-backend-$(sha256sum "$TARBALL" | cut -c1-12)-node-$("$NODE" --version)
  [ -f "$SRC/.ready" ] && return
  say "unpacking the backend and running npm ci (once)"
  rm -rf "$SRC" && mkdir -p "$SRC"
  tar -xzf "$TARBALL" -C "$SRC" --strip-components=1
  (cd "$SRC" && PATH=$(dirname "$NODE"):$PATH npm ci --omit=dev --no-audit --no-fund) \
    >"$CACHE/npm-ci.log" 2>&1 || die "npm ci failed, see $CACHE/npm-ci.log"
  touch "$SRC/.ready"
}

database() {  # the private cluster on 127.0.0.1:$PG_PORT with Central's role, database, extensions
  local bin; bin=$(pg_bin)
  [ -x "$bin/initdb" ] || die "PostgreSQL is not installed (apt-get install postgresql; python -m tests.setup_machine does)"
  if [ "$(id -u)" = 0 ]; then chown postgres "$STATE" "$STATE/log"; fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    say "creating the database cluster"
    as_db "$bin/initdb" -D "$PGDATA" --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C \
      >"$STATE/log/initdb.log" 2>&1 \
      || die "initdb failed, see $STATE/log/initdb.log"
  fi
  if ! as_db "$bin/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    ! port_taken "$PG_PORT" || die "port $PG_PORT is in use: set ODK_PG_PORT"
    as_db "$bin/pg_ctl" -D "$PGDATA" -l "$STATE/log/postgres.log" -w start -o \
      "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $STATE -c shared_preload_libraries=pg_stat_statements" \
      >/dev/null 9>&- || die "PostgreSQL did not start, see $STATE/log/postgres.log"
  fi
  local psql=(as_db "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$STATE" -p "$PG_PORT" -d postgres)
  [ "$("${psql[@]}" -tAc "select 1 from pg_roles where rolname='jubilant'")" = 1 ] && return
  say "creating Central's database"
  "${psql[@]}" -c "create role jubilant login password 'jubilant'" -c "create database jubilant owner jubilant" >&2
  "${psql[@]}" -d jubilant -c "create extension citext" -c "create extension pg_trgm" \
    -c "create extension pgrowlocks" -c "create extension pg_stat_statements" \
    -c "grant execute on function pg_stat_statements_reset to jubilant" >&2
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

config() {  # config/default.json overlaid: no Enketo, XLSForm service, analytics or mail sent
  export NODE_ENV=production SUPPRESS_NO_CONFIG_WARNING=1 NODE_CONFIG_DIR=$SRC/config ODK_STATE_DIR=$STATE
  export NODE_CONFIG="{\"default\":{\"database\":{\"host\":\"127.0.0.1\",\"port\":$PG_PORT},
    \"server\":{\"port\":$PORT},\"email\":{\"serviceAccount\":\"no-reply@example.test\",\"transport\":\"json\"},
    \"xlsform\":{\"host\":\"\",\"port\":\"\"},\"enketo\":{\"url\":\"\",\"apiKey\":\"\"},
    \"env\":{\"domain\":\"$BASE\",\"sysadminAccount\":\"no-reply@example.test\"},
    \"external\":{\"analytics\":{\"url\":\"\",\"formId\":\"\",\"version\":\"\"},
    \"mailingListOptIn\":{\"url\":\"\",\"formId\":\"\",\"version\":\"\"}}}}"
}

server() {  # migrations, then the server in its own session, bound to loopback by a preload
  ! port_taken "$PORT" || die "port $PORT is in use: set ODK_PORT"
  cd "$SRC"
  "$NODE" lib/bin/run-migrations.js >"$STATE/log/migrations.log" 2>&1 || die "migrations failed, see $STATE/log/migrations.log"
  say "starting the backend on $BASE"
  setsid "$NODE" -r "$HERE/loopback.js" lib/bin/run-server.js >>"$STATE/log/backend.log" 2>&1 </dev/null 9>&- &
  echo $! >"$PIDFILE"
  for _ in $(seq 600); do
    answering && return
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || die "the backend exited, see $STATE/log/backend.log"
    sleep 0.1
  done
  die "the backend did not answer within 60 s, see $STATE/log/backend.log"
}

admin() {  # Central's own CLI creates (or resets) the admin and makes it an administrator
  local login; login="{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
  "$NODE" -e "fetch('$BASE/v1/sessions',{method:'POST',headers:{'Content-Type':'application/json'},
    body:process.argv[1]}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$login" && return
  say "creating the admin user $EMAIL"
  { echo "$PASSWORD" | "$NODE" lib/bin/cli.js --email "$EMAIL" user-create \
    || echo "$PASSWORD" | "$NODE" lib/bin/cli.js --email "$EMAIL" user-set-password
    "$NODE" lib/bin/cli.js --email "$EMAIL" user-promote; } >"$STATE/log/admin.log" 2>&1 \
    || die "could not create the admin user, see $STATE/log/admin.log"
}

start() {
  mkdir -p "$CACHE" "$STATE/log"; chmod 755 "$STATE"; cd "$STATE"
  exec 9>"$CACHE/.lock"; flock -w 900 9 || die "another central.sh holds $CACHE/.lock"
  NODE=$(find_node); unpack; config
  local started=0
  if ! backend_pid >/dev/null; then
    database; server; started=1
  fi
  cd "$SRC"; admin
  printf "ODK_BASE='%s'\nODK_API='%s/v1'\nODK_ADMIN_EMAIL='%s'\nODK_ADMIN_PASSWORD='%s'\nODK_STARTED=%s\n" \
    "$BASE" "$BASE" "$EMAIL" "$PASSWORD" "$started"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: bash $0 start|stop" >&2; exit 2 ;;
esac
