#!/usr/bin/env bash
# bench/gpu_check.sh [bench.gpu_check options]: the GPU decode path against the CPU one, side by
# side in one run, on a machine with one NVIDIA GPU (under 8 minutes; see bench/gpu_check.py).
# Where the machine has no FFmpeg or lacks Python packages, bench/gpu_pack.sh's .gpu/ supplies
# them: FFmpeg runs through a wrapper that gives it its own libraries, so Python keeps the host's.
# Figures go to stdout (Markdown) and ${OUT:-bench/results}/gpu_check.json.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -f .gpu/ffpack.tar.xz ]; then
  tar -C /tmp -xJf .gpu/ffpack.tar.xz && mkdir -p /tmp/ffpack/wrap
  for tool in ffmpeg ffprobe; do
    printf '#!/bin/sh\nLD_LIBRARY_PATH=/tmp/ffpack/lib:${LD_LIBRARY_PATH:-}:/usr/local/nvidia/lib64:/usr/local/nvidia/lib exec /tmp/ffpack/bin/%s "$@"\n' \
      "$tool" > "/tmp/ffpack/wrap/$tool"
    chmod +x "/tmp/ffpack/wrap/$tool"
  done
  export PATH=/tmp/ffpack/wrap:$PATH
fi
if [ -d .gpu/whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .gpu/whl/*.whl \
    && export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
PY=python3
[ -x .venv/bin/python ] && PY=.venv/bin/python
nvidia-smi -L 2>/dev/null || echo "nvidia-smi: no GPU listed"
ls /usr/local/nvidia/lib64 2>/dev/null | grep -E 'cuvid|libcuda' | head -4
exec "$PY" -m bench.gpu_check --out "${OUT:-bench/results}" "$@"
