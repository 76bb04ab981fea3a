#!/usr/bin/env bash
# bench/gpu_pack.sh: pack what bench/gpu_check.sh needs on a GPU machine that has Python and the
# NVIDIA driver but no FFmpeg and no network, into .gpu/ (ignored by git):
#   .gpu/ffpack.tar.xz  this machine's Debian FFmpeg (ffmpeg, ffprobe and every library they load;
#                       the data-heavy ones no platecut path calls are stubs, bench/stub_library.py)
#   .gpu/whl/           the job's pure-Python needs the GPU machine lacks, as wheels for Python 3.12
# Then: bench/gpu_check.sh there. The pack is about 50 MB (the device tool carries 64 MiB at most).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
STUBBED="libcodec2.so.1.0 libicudata.so.72 libflite_cmu_us_rms.so.1 libflite_cmu_us_slt.so.1
libflite_cmu_us_awb.so.1 libflite_cmu_us_kal16.so.1"
SYSTEM='/(libc|libm|libpthread|libdl|librt|ld-linux-x86-64|libstdc\+\+|libgcc_s)\.so'  # the host's own
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/ffpack/bin" "$stage/ffpack/lib" .gpu/whl
cp /usr/bin/ffmpeg /usr/bin/ffprobe "$stage/ffpack/bin/"
(ldd /usr/bin/ffmpeg; ldd /usr/bin/ffprobe) | awk '{print $3}' | grep / | sort -u | grep -v -E "$SYSTEM" \
  | xargs -I{} cp -L {} "$stage/ffpack/lib/"
for lib in $STUBBED; do
  [ -f "$stage/ffpack/lib/$lib" ] && "$PY" bench/stub_library.py "$stage/ffpack/lib/$lib"
done
tar -C "$stage" -cf - ffpack | xz -9e -T0 > .gpu/ffpack.tar.xz
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d .gpu/whl pydantic==2.14.4 pydantic_core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 \
  typing_extensions==4.16.0 ffmpeg-python==0.2.0 future==1.0.0
du -sh .gpu/ffpack.tar.xz .gpu/whl
