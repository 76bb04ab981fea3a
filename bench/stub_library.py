"""Replace a shared library by a stub exporting the same symbols and doing nothing.

``python3 bench/stub_library.py LIB`` (run by bench/gpu_pack.sh). FFmpeg's libraries are
linked with ``-z now``, so every library they name must load and export every symbol they
use, even where no code path of platecut's ever calls it. The stub keeps the library's soname
and its symbols (functions that return, data of the same size), and weighs a few KB where
the original holds megabytes of data: speech synthesis voices, codec2's tables, ICU's data.
Only libraries without symbol versions can be stubbed this way.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

FUNCTION_KINDS = frozenset("TtWi")
DATA_KINDS = frozenset("DBRVG")


def soname(lib: Path) -> str:
    dynamic = subprocess.run(["readelf", "-d", str(lib)], capture_output=True, text=True, check=True)
    for line in dynamic.stdout.splitlines():
        if "(SONAME)" in line:
            return line.split("[", 1)[1].split("]", 1)[0]
    raise SystemExit(f"{lib}: no soname")


def stub_source(lib: Path) -> str:
    versions = subprocess.run(["readelf", "-V", str(lib)], capture_output=True, text=True, check=True)
    if "Version definition" in versions.stdout:
        raise SystemExit(f"{lib}: has symbol versions, cannot be stubbed")
    symbols = subprocess.run(["nm", "-D", "--defined-only", "-S", str(lib)],
                             capture_output=True, text=True, check=True)
    lines = []
    for fields in (line.split() for line in symbols.stdout.splitlines()):
        size, kind, name = (fields[1], fields[2], fields[3]) if len(fields) == 4 else ("8", *fields[1:])
        if kind in FUNCTION_KINDS:
            lines.append(f"void {name}(void) {{}}")
        elif kind in DATA_KINDS:
            lines.append(f"char {name}[{max(1, int(size, 16))}];")
    return "\n".join(lines) + "\n"


def main() -> None:
    lib = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "stub.c"
        source.write_text(stub_source(lib))
        built = Path(tmp) / lib.name
        subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(built), str(source),
                        f"-Wl,-soname,{soname(lib)}"], check=True)
        lib.write_bytes(built.read_bytes())
    print(f"stubbed {lib.name} ({lib.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
