#!/usr/bin/env bash
# Runs `make run` as a new user would (in a scratch var/ dir), runs the curl line it prints and
# checks for 200 and "success": true. Used by CI; handy after changing the first-run path.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
scratch=$(mktemp -d)
log="$scratch/make-run.log"
export VAR_DIR="$scratch" DATABASE_URL="sqlite:///$scratch/db.sqlite3"

setsid make run PORT="$port" >"$log" 2>&1 &
pid=$!
cleanup() { kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$scratch"; }
trap cleanup EXIT

for _ in $(seq 1 300); do
  if grep -q "^    curl " "$log" && grep -q "Starting worker" "$log" \
     && (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "make run exited early" >&2; exit 1; fi
  sleep 0.2
done
line=$(grep -m1 "^    curl " "$log" | sed 's/^ *//')
echo "running: ${line%%Bearer*}Bearer …' ${line##* }"
out=$(eval "$line --silent --noproxy '*' --write-out '\n%{http_code}'")
status=${out##*$'\n'}
body=${out%$'\n'*}
echo "status $status: $body"
[ "$status" = 200 ] || { cat "$log"; exit 1; }
printf '%s' "$body" | .venv/bin/python -c 'import json,sys; assert json.load(sys.stdin)["success"] is True'
grep -q "Starting worker" "$log" || { cat "$log"; echo "the worker did not start beside the server" >&2; exit 1; }
echo "make run: OK"
