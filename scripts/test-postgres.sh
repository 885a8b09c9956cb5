#!/usr/bin/env bash
# Runs the whole suite on the local PostgreSQL server. The tests create a fresh database
# there and drop it at the end; AWARD_TEST_DATABASE_URL names the server, not a database.
set -euo pipefail
server="${AWARD_TEST_POSTGRES_SERVER:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
# TEST_WORKERS processes (pytest-xdist), as `make test`; each worker creates its own database.
AWARD_TEST_DATABASE_URL="$server" .venv/bin/pytest -q -n "${TEST_WORKERS:-2}" --dist loadfile "$@"
