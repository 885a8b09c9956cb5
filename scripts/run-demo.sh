#!/usr/bin/env bash
# `make run`: the demo server, with the outbox sender beside it printing every e-mail to this console
# (AWARD_MAIL_TO_CONSOLE) instead of handing it to a relay. Stopping the server stops the sender.
set -euo pipefail
BIN=${BIN:-.venv/bin}
export AWARD_DEMO_DATABASE=1 AWARD_MAIL_TO_CONSOLE=1
# Logs as lines a person reads in this console (production writes one JSON object per line).
export AWARD_LOG_FORMAT="${AWARD_LOG_FORMAT:-text}"

"$BIN/flask" --app award outbox send --loop --interval 5 &
sender=$!
trap 'kill "$sender" 2>/dev/null || true' EXIT

"$BIN/flask" --app award.wsgi run --host 127.0.0.1 --port "${PORT:-5000}"
