#!/usr/bin/env bash
# Builds the Python package into a virtualenv of its own (target/python-venv) with the pinned
# test and benchmark dependencies, and prints the venv's python. `--release` builds optimised
# (benchmarks); the default is the dev profile (tests).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/python-venv
profile=()
[ "${1:-}" = "--release" ] && profile=(--release)

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
stamp="$venv/.requirements"
if ! cmp -s bindings-python/requirements-dev.txt "$stamp"; then
  "$venv/bin/pip" install -q --disable-pip-version-check -r bindings-python/requirements-dev.txt >&2
  cp bindings-python/requirements-dev.txt "$stamp"
fi
# maturin develop installs redkit (editable: the Python sources are used in place).
VIRTUAL_ENV="$PWD/$venv" "$venv/bin/maturin" develop -q "${profile[@]}" >&2
echo "$PWD/$venv/bin/python"
