#!/bin/bash
# The wall time of what `make test` runs (ruff, mypy with an empty cache, pytest) on one tree of the
# project, with this checkout's venv: bench/suite_time.sh TREE [PYTEST ARGS...]
# e.g. git worktree add /tmp/old fd168c5 && bench/suite_time.sh /tmp/old -q
set -u
venv=$(cd "$(dirname "$0")/.." && pwd)/.venv
tree=$(cd "$1" && pwd); shift
cd "$tree" && rm -rf .mypy_cache .ruff_cache .pytest_cache
export PYTHONPATH=$tree
start=$(date +%s.%N)
"$venv/bin/ruff" check jobs api tests bench > /dev/null
"$venv/bin/mypy" > /dev/null
"$venv/bin/pytest" "$@" > "/tmp/suite_time_$(basename "$tree").txt" 2>&1
rc=$?
end=$(date +%s.%N)
echo "$tree rc=$rc wall=$(echo "$end - $start" | bc) s; $(tail -1 "/tmp/suite_time_$(basename "$tree").txt")"
