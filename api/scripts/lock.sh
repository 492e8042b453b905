#!/usr/bin/env bash
# Refresh the committed, host-free, hashed lock exports from pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
uv lock --quiet
uv export --quiet --no-emit-project --no-dev --format requirements-txt -o requirements.lock
uv export --quiet --no-emit-project --all-groups --format requirements-txt -o requirements-dev.lock
