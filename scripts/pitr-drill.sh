#!/usr/bin/env bash
# Point-in-time recovery drill for PostgreSQL (docs/operations.md, "Point-in-time recovery").
#
# Proves, on a throwaway cluster, the procedure an operator follows after a bad change: WAL
# archiving + a base backup + recovery_target_time bring back the data as it was at a moment,
# without what came after. Steps:
#   1. initdb a cluster in a temporary directory (wal_level=replica, archive_mode=on, WAL copied
#      to an archive directory), start it on a free port;
#   2. pg_basebackup;
#   3. insert rows A, note the time T, switch WAL; insert rows B, switch WAL, wait until archived;
#      stop the cluster;
#   4. restore the base backup into a new data directory with restore_command,
#      recovery_target_time = T, recovery_target_action = promote and recovery.signal; start it;
#   5. assert the rows A are there and the rows B are not.
# Everything is removed on exit. Prints "PITR drill: PASS" and exits 0, or exits non-zero.
#
# Usage: scripts/pitr-drill.sh        (as root — it runs PostgreSQL as the postgres OS user —
#                                      or as postgres). PG_BIN overrides the binaries directory.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
STARTED_AT=$(date +%s.%N)

fail() {
  echo "PITR drill: FAIL: $*" >&2
  exit 1
}

[[ -x "$PG_BIN/initdb" ]] || fail "no PostgreSQL binaries in $PG_BIN (set PG_BIN)"
if [[ $(id -u) -eq 0 ]]; then
  AS_POSTGRES=(runuser -u postgres --)
elif [[ $(id -un) == postgres ]]; then
  AS_POSTGRES=()
else
  fail "run as root (PostgreSQL then runs as the postgres user) or as postgres"
fi

WORK=$(mktemp -d -t vigil-pitr-XXXXXX)
PRIMARY="$WORK/primary"
BASE="$WORK/base"
RESTORED="$WORK/restored"
ARCHIVE="$WORK/archive"
SOCKETS="$WORK/sockets"
mkdir -p "$ARCHIVE" "$SOCKETS"
# initdb refuses to run as root; the postgres user must own everything it touches.
[[ ${#AS_POSTGRES[@]} -eq 0 ]] || chown -R postgres: "$WORK"
chmod 700 "$WORK"

as_postgres() { "${AS_POSTGRES[@]}" "$@"; }

cleanup() {
  local status=$?
  for data in "$RESTORED" "$PRIMARY"; do
    if [[ -f "$data/postmaster.pid" ]]; then
      as_postgres "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
  done
  if [[ $status -ne 0 ]]; then
    for log in "$WORK"/*.log; do
      [[ -f $log ]] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
    done
  fi
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free TCP port: the kernel picks one, we release it and PostgreSQL takes it straight after.
PORT=$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")

psql_on() {
  # psql_on SQL: one value, no headers, stop on error.
  as_postgres "$PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 -h "$SOCKETS" -p "$PORT" -U postgres -d postgres -c "$1"
}

echo "PITR drill: cluster in $WORK, port $PORT"
as_postgres "$PG_BIN/initdb" -D "$PRIMARY" -U postgres --auth=trust --no-sync >"$WORK/initdb.log" 2>&1 ||
  fail "initdb failed"
cat >>"$PRIMARY/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKETS'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $ARCHIVE/%f && cp %p $ARCHIVE/%f'
fsync = off
CONF
as_postgres "$PG_BIN/pg_ctl" -D "$PRIMARY" -l "$WORK/primary.log" -w -t 30 start >/dev/null || fail "primary did not start"

psql_on "CREATE TABLE drill (id int PRIMARY KEY, batch text NOT NULL)" >/dev/null
as_postgres "$PG_BIN/pg_basebackup" -h "$SOCKETS" -p "$PORT" -U postgres -D "$BASE" --checkpoint=fast --wal-method=stream \
  >"$WORK/basebackup.log" 2>&1 || fail "pg_basebackup failed"

psql_on "INSERT INTO drill SELECT g, 'A' FROM generate_series(1, 3) g" >/dev/null
# The moment to recover to: after A committed, before B exists.
TARGET_TIME=$(psql_on "SELECT clock_timestamp()")
psql_on "SELECT pg_switch_wal()" >/dev/null
psql_on "INSERT INTO drill SELECT g, 'B' FROM generate_series(101, 103) g" >/dev/null
# Recovery must see WAL past the target to know it has reached it: archive B's segment too.
LAST_SEGMENT=$(psql_on "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 300); do
  [[ -f "$ARCHIVE/$LAST_SEGMENT" ]] && break
  sleep 0.1
done
[[ -f "$ARCHIVE/$LAST_SEGMENT" ]] || fail "WAL segment $LAST_SEGMENT was not archived within 30 s"
as_postgres "$PG_BIN/pg_ctl" -D "$PRIMARY" -m fast -w stop >/dev/null

# Restore: the base backup, replaying archived WAL up to TARGET_TIME, then promote.
as_postgres cp -a "$BASE" "$RESTORED"
cat >>"$RESTORED/postgresql.conf" <<CONF
archive_mode = off
restore_command = 'cp $ARCHIVE/%f %p'
recovery_target_time = '$TARGET_TIME'
recovery_target_action = 'promote'
CONF
as_postgres touch "$RESTORED/recovery.signal"
as_postgres "$PG_BIN/pg_ctl" -D "$RESTORED" -l "$WORK/restored.log" -w -t 30 start >/dev/null ||
  fail "restored cluster did not start"
for _ in $(seq 1 300); do
  [[ $(psql_on "SELECT pg_is_in_recovery()") == f ]] && break
  sleep 0.1
done
[[ $(psql_on "SELECT pg_is_in_recovery()") == f ]] || fail "restored cluster did not finish recovery"

ROWS_A=$(psql_on "SELECT count(*) FROM drill WHERE batch = 'A'")
ROWS_B=$(psql_on "SELECT count(*) FROM drill WHERE batch = 'B'")
[[ $ROWS_A == 3 ]] || fail "expected the 3 rows written before $TARGET_TIME, found $ROWS_A"
[[ $ROWS_B == 0 ]] || fail "expected none of the rows written after $TARGET_TIME, found $ROWS_B"
grep -q "recovery stopping before commit" "$WORK/restored.log" || fail "recovery did not stop at the target time"

ELAPSED=$(awk -v start="$STARTED_AT" -v end="$(date +%s.%N)" 'BEGIN { printf "%.1f", end - start }')
echo "PITR drill: PASS (recovered to $TARGET_TIME: 3 rows before it restored, 3 rows after it absent; ${ELAPSED}s)"
