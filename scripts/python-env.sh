#!/usr/bin/env bash
# Builds the Python package into a virtualenv of its own (target/python-venv) with the pinned
# test and benchmark dependencies, and prints the venv's python.
#   (no flag)   maturin develop: the dev profile, Python sources used in place (quick, for work)
#   --release   maturin develop --release (benchmarks)
#   --wheel     `pip install .`, exactly what a user runs: an optimised abi3 wheel (make test)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/python-venv
mode="${1:-}"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
stamp="$venv/.requirements"
if ! cmp -s bindings-python/requirements-dev.txt "$stamp"; then
  "$venv/bin/pip" install -q --disable-pip-version-check -r bindings-python/requirements-dev.txt >&2
  cp bindings-python/requirements-dev.txt "$stamp"
fi
case "$mode" in
  --wheel) "$venv/bin/pip" install -q --disable-pip-version-check --no-deps --force-reinstall . >&2 ;;
  --release) VIRTUAL_ENV="$PWD/$venv" "$venv/bin/maturin" develop -q --release >&2 ;;
  "") VIRTUAL_ENV="$PWD/$venv" "$venv/bin/maturin" develop -q >&2 ;;
  *) echo "usage: $0 [--release|--wheel]" >&2; exit 2 ;;
esac
echo "$PWD/$venv/bin/python"
