#!/usr/bin/env bash
# Makes sure the services the tests talk to are running on 127.0.0.1, starting any that
# stopped (commands of this machine kind; see the README). Today: PostgreSQL (the store
# tests and the API tests run against SQLite and PostgreSQL).
set -euo pipefail

wait_for() { # NAME CHECK-COMMAND...
    local name=$1; shift
    for _ in $(seq 1 30); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    echo "services: $name did not come up" >&2
    return 1
}

if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    echo "services: starting PostgreSQL"
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    else
        echo "services: PostgreSQL is not running on 127.0.0.1:5432 and cannot be started here;" \
             "start it, or point FOOTFALL_TEST_POSTGRES_URL at one" >&2
        exit 1
    fi
    wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432
fi
psql "${FOOTFALL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -tAc 'SELECT 1' >/dev/null \
    || { echo "services: cannot log in to PostgreSQL as in FOOTFALL_TEST_POSTGRES_URL" >&2; exit 1; }
echo "services: PostgreSQL ready"
