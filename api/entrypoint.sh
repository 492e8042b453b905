#!/bin/sh
# Migrate (retrying while the database starts), then replace this shell with the server.
set -eu

attempts="${MIGRATE_ATTEMPTS:-30}"
delay="${MIGRATE_RETRY_DELAY:-2}"
attempt=1
until wump migrate; do
  if [ "$attempt" -ge "$attempts" ]; then
    echo "wump: migrations failed after $attempt attempts" >&2
    exit 1
  fi
  echo "wump: migration attempt $attempt failed; retrying in ${delay}s" >&2
  attempt=$((attempt + 1))
  sleep "$delay"
done

exec "$@"
