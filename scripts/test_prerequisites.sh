#!/usr/bin/env bash
# What `make test` needs from the machine besides .venv: Debian's headless Chromium (browser tests),
# faketime (the missed-schedule-tick test), the compose client (the compose file is validated) and
# PostgreSQL on 127.0.0.1:5432 (the deployment tests). As root (or with passwordless sudo) missing
# packages are installed and an installed but stopped cluster is started; otherwise this says what to
# run and fails, so that a suite missing them never reports a pass it did not earn.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    SUDO="none"
fi

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$SUDO" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "make test needs these Debian packages: ${missing[*]}" >&2
        echo "install them, then run make test again:  sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "installing Debian packages for the tests: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if [ "$SUDO" != "none" ] && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        for version in $(ls /etc/postgresql); do
            $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        done
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
fi
if ! (command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432) \
    && ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    echo "make test needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust or ANALYTICS_TEST_PG_PASSWORD) for the deployment tests:" >&2
    echo "  sudo apt-get install -y postgresql && sudo pg_ctlcluster 15 main start" >&2
    exit 1
fi
