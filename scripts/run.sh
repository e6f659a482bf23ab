#!/usr/bin/env bash
# Starts the web server, a Celery worker and Celery beat; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BIN="$ROOT/.venv/bin"
HOST="${1:-127.0.0.1}"
PORT="${2:-8000}"
mkdir -p .run/logs
pids=()
cleanup() {
    trap - INT TERM EXIT
    echo; echo "Stopping web, worker and beat…"
    kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

"$BIN/celery" -A oms worker -l info --concurrency 2 -Q celery >.run/logs/worker.log 2>&1 &
pids+=($!)
"$BIN/celery" -A oms beat -l info --schedule .run/celerybeat-schedule >.run/logs/beat.log 2>&1 &
pids+=($!)

echo
echo "OMS is running at http://$HOST:$PORT/  (worker and beat logs in .run/logs/)"
echo "Demo logins:"
"$BIN/python" manage.py demo_logins
echo "Press Ctrl-C to stop."
echo
"$BIN/python" "$ROOT/manage.py" runserver "$HOST:$PORT" --noreload &
pids+=($!)
wait "${pids[-1]}"
