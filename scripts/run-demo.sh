#!/usr/bin/env bash
# `make run`: the demo server, with the outbox sender beside it printing every e-mail to this console
# (AWARD_MAIL_TO_CONSOLE) instead of handing it to a relay, and the job worker (certificate batches,
# archives, reminders) on the embedded SQLite queue (instance/jobs-queue.sqlite3). Stopping the server
# stops the sender and the worker.
set -euo pipefail
BIN=${BIN:-.venv/bin}
export AWARD_DEMO_DATABASE=1 AWARD_MAIL_TO_CONSOLE=1
# Logs as lines a person reads in this console (production writes one JSON object per line).
export AWARD_LOG_FORMAT="${AWARD_LOG_FORMAT:-text}"

"$BIN/flask" --app award outbox send --loop --interval 5 &
sender=$!
"$BIN/flask" --app award worker --threads 2 &
worker=$!
# SIGINT lets the worker finish a running job; a job cut short is run again by the next start.
trap 'kill "$sender" 2>/dev/null || true; kill -INT "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT

"$BIN/flask" --app award.wsgi run --host 127.0.0.1 --port "${PORT:-5000}"
