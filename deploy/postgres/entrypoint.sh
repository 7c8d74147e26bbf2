#!/bin/sh
# First start: create the cluster in $PGDATA with POSTGRES_USER as superuser (password auth over
# TCP) and the database POSTGRES_DB. Every start: run PostgreSQL in the foreground on all addresses.
set -eu
: "${POSTGRES_USER:?set POSTGRES_USER}"
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    # A private socket while the database is created, so health checks only pass on the real start.
    initsock="$(mktemp -d)"
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$initsock" start
    if [ "$POSTGRES_DB" != "postgres" ]; then
        echo 'CREATE DATABASE :"db";' | psql -h "$initsock" -U "$POSTGRES_USER" -d postgres \
            -v ON_ERROR_STOP=1 -q -v db="$POSTGRES_DB"
    fi
    pg_ctl -D "$PGDATA" -w -m fast stop
    rmdir "$initsock"
fi

exec postgres -D "$PGDATA" -c listen_addresses='*'
