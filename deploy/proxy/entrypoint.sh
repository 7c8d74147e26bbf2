#!/bin/sh
# Builds the sign-in files from the per-role htpasswd files, then runs nginx in the foreground.
#   /etc/nginx/auth/analysts.htpasswd   analyst users (name:hash lines; read-only webserver)
#   /etc/nginx/auth/operators.htpasswd  operator users (the webserver that launches and stops runs)
#   /etc/nginx/tls/cert.pem, key.pem    the server certificate (chain first) and its key
# A hash line: `printf '%s:%s\n' NAME "$(openssl passwd -6)"`. See deploy/README.md.
set -eu
src=/etc/nginx/auth
out=/run/nginx-auth
mkdir -p "$out"
: > "$out/users.htpasswd.new"
: > "$out/roles.map.new"
for role in analyst operator; do
    file="$src/${role}s.htpasswd"
    [ -r "$file" ] || { echo "proxy: $file is missing (one htpasswd file per role; see deploy/README.md)" >&2; exit 1; }
    # Comments and blank lines are skipped; every other line is NAME:HASH.
    grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$file" | while IFS= read -r line; do
        name="${line%%:*}"
        hash="${line#*:}"
        if ! printf '%s' "$name" | grep -Eq '^[A-Za-z0-9._@-]{1,64}$' || [ "$hash" = "$line" ] || [ -z "$hash" ]; then
            echo "proxy: $file: a line is not NAME:HASH with NAME of letters, digits, . _ @ -" >&2
            exit 1
        fi
        if grep -q "^\"$name\" " "$out/roles.map.new"; then
            echo "proxy: user $name is listed twice (each user has one role)" >&2
            exit 1
        fi
        printf '%s:%s\n' "$name" "$hash" >> "$out/users.htpasswd.new"
        printf '"%s" %s;\n' "$name" "$role" >> "$out/roles.map.new"
    done
done
for f in cert.pem key.pem; do
    [ -r "/etc/nginx/tls/$f" ] || { echo "proxy: /etc/nginx/tls/$f is missing (see deploy/README.md, TLS)" >&2; exit 1; }
done
chown root:www-data "$out/users.htpasswd.new" && chmod 0640 "$out/users.htpasswd.new"
mv "$out/users.htpasswd.new" "$out/users.htpasswd"
mv "$out/roles.map.new" "$out/roles.map"
echo "proxy: $(grep -c ' analyst;' "$out/roles.map" || true) analyst(s), $(grep -c ' operator;' "$out/roles.map" || true) operator(s)"
nginx -t -q
exec nginx -g 'daemon off;'
