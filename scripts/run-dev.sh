#!/usr/bin/env bash
# Run the web server, a Celery worker and Celery beat together in the foreground, for local
# development (`make run` calls this after migrating and seeding). Ctrl-C stops all three.
#
# Each process runs in its own process group (set -m), so that on exit we can stop it together
# with its children (runserver's autoreloaded child, the worker's pool processes): first a TERM to
# the leader for a clean shutdown, then a KILL to whatever of the group is left after a grace period.
set -euo pipefail
set -m

cd "$(dirname "$0")/.."
BIN=${VENV_BIN:-.venv/bin}
export PYTHONUNBUFFERED=1

names=()
pids=()

prefix() {
  local name=$1 line
  while IFS= read -r line; do printf '%-6s | %s\n' "$name" "$line"; done
}

start() {
  local name=$1
  shift
  "$@" </dev/null > >(prefix "$name") 2>&1 &
  names+=("$name")
  pids+=("$!")
  echo "started $name (pid $!): $*"
}

alive() {
  local pid
  for pid in "${pids[@]}"; do
    kill -0 -- "-$pid" 2>/dev/null && return 0
  done
  return 1
}

stop() {
  local status=$?
  trap - INT TERM HUP EXIT
  echo "stopping ${names[*]} ..."
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 75); do  # up to 15 s: a Celery warm shutdown takes several seconds
    alive || break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped."
  exit "$status"
}
trap stop INT TERM HUP EXIT

start web "$BIN/python" manage.py runserver 127.0.0.1:8000
start worker "$BIN/celery" -A itsm worker -l info --concurrency 2 -Q celery,intake,notifications,sla
start beat "$BIN/celery" -A itsm beat -l info

# Until Ctrl-C, or until one of them exits on its own: then the EXIT trap stops the others.
status=0
wait -n || status=$?
echo "a process exited (status $status); stopping the others"
exit "$status"
