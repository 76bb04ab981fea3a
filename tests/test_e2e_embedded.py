"""End to end on the embedded default: ``platecut demo`` as a user runs it, in a clean environment.

The real console script generates the demo plate, starts ``platecut serve`` (SQLite, disk storage,
local launcher, in-process reconcile), uploads through signed URLs, waits for the split job and
prints the cuts the API lists. Checked against the plate's truth (``jobs.synth.demo_spec()``): the
printed table, the output files it names, and the rows of the SQLite database it leaves behind.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from jobs.synth import demo_spec, truth_of
from tests.demo_truth import cut_names

PLATECUT = Path(sys.executable).with_name("platecut")
Cut = tuple[str, int, int]  # name, first and last plate frame (inclusive)

# what the demo plate holds, as the brief of the demo states it: the truth below must agree
KNOWN: list[Cut] = [("SH010_0010", 0, 47), ("SH010_0020", 48, 87), ("SH020_0010", 88, 117),
                    ("SH020_0020", 118, 155), ("SH030_0010", 156, 185), ("SH030_0020", 186, 215),
                    ("SH040_0010", 216, 255), ("SH040_0020", 256, 285), ("SH040_0020_2", 286, 315)]


def expected_cuts() -> list[Cut]:
    """Every shot of the demo plate: its burned-in name (repeats get ``_2``...) and its frames."""
    spec = demo_spec()
    truth = truth_of(spec)
    starts = [0, *truth.cut_starts]
    ends = [start - 1 for start in truth.cut_starts] + [truth.frame_count - 1]
    return list(zip(cut_names(spec), starts, ends, strict=True))


def table_rows(stdout: str) -> list[Cut]:
    """The rows of the printed cut table (rich box drawing: cells between ``│``)."""
    rows: list[Cut] = []
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) == 8 and cells[0].isdigit():
            first, _, last = cells[2].partition("-")
            rows.append((cells[1], int(first), int(last)))
    return rows


def printed_paths(stderr: str) -> dict[str, Path]:
    """``EDL: /path``, ``OTIO: /path``, ``contact sheet: /path`` lines of the demo's report."""
    found = re.findall(r"^\s*(EDL|OTIO|contact sheet): (/\S+)\s*$", stderr, re.MULTILINE)
    return {label: Path(path) for label, path in found}


def clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("PLATECUT_")}


def test_expected_cuts_agree_with_the_demo_plate_truth() -> None:
    assert expected_cuts() == KNOWN


@pytest.mark.slow
def test_platecut_demo_runs_the_whole_embedded_flow(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    started = time.monotonic()
    done = subprocess.run([str(PLATECUT), "demo", "--out", str(out)], env=clean_env(), cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    elapsed = time.monotonic() - started
    api_log = out / "api.log"
    shown = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    if api_log.exists():
        shown += f"\napi.log (tail):\n{''.join(api_log.read_text().splitlines(True)[-40:])}"
    assert done.returncode == 0, shown
    print(f"platecut demo took {elapsed:.1f} s")

    # the table printed: exactly the plate's cuts, by name and plate frames
    assert table_rows(done.stdout) == expected_cuts(), shown
    plate_ids = re.findall(r"cuts of ([0-9a-f-]{36})", done.stdout)
    assert len(plate_ids) == 1, shown

    # the outputs it points at exist, inside its data folder, and the EDL names every cut
    data = out / "platecut-data"
    paths = printed_paths(done.stderr)
    assert set(paths) == {"EDL", "OTIO", "contact sheet"}, shown
    for label, path in paths.items():
        assert path.is_file() and path.stat().st_size > 0, f"{label}: {path}"
        assert path.resolve().is_relative_to(data.resolve()), f"{label}: {path}"
        assert plate_ids[0] in str(path)
    assert paths["EDL"].suffix == ".edl" and paths["OTIO"].suffix == ".otio"
    assert paths["contact sheet"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    edl = paths["EDL"].read_text()
    named = set(re.findall(r"^\* (?:FROM|TO) CLIP NAME: (\S+)\s*$", edl, re.MULTILINE))
    assert named == {name for name, _first, _last in KNOWN}, edl

    # the database it leaves: the plate succeeded, with one row per cut
    database = data / "platecut.db"
    assert database.is_file()
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        plates = db.execute("SELECT id, state FROM plates").fetchall()
        assert [state for _id, state in plates] == ["succeeded"], plates
        cuts = db.execute('SELECT name, first_frame, last_frame FROM cuts WHERE plate_id = ? '
                          'ORDER BY "index"', (plates[0][0],)).fetchall()
        total = db.execute("SELECT count(*) FROM cuts").fetchone()[0]
        review = db.execute("SELECT kind, part FROM plate_outputs WHERE kind IN ('proxy', 'scores', "
                            "'strip') ORDER BY kind, part").fetchall()
    assert [tuple(row) for row in cuts] == expected_cuts()
    assert total == len(KNOWN)
    assert [tuple(row) for row in review] == [("proxy", 0), ("scores", 0), ("strip", 1)]  # the review files


def test_the_demo_never_deletes_a_folder_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "shots"
    precious.mkdir()
    (precious / "A001C003.mov").write_bytes(b"a plate")
    done = subprocess.run([str(PLATECUT), "demo", "--out", str(precious)], env=clean_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 73, done.stderr  # ExitCode.CANT_CREATE
    assert "not an earlier demo's folder" in done.stderr and "Traceback" not in done.stderr
    assert (precious / "A001C003.mov").read_bytes() == b"a plate"
