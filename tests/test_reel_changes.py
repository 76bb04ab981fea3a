"""Cut changes between versions of a reel: every category, with its deltas, from known cuts."""

from __future__ import annotations

import random

from api.reels.changes import Category, MatchedBy, ShotChange, VersionCut, compare

HANDLES = 8
SOURCE = {"A": 1000, "B": 2000, "C": 3000, "D": 4000, "E": 5000, "F": 6000, "G": 7000}


def cut(order: int, name: str, source_in: int, length: int = 48, *, named: bool = True,
        picture: int | None = None) -> VersionCut:
    return VersionCut(order=order, name=name, named=named, duration=length, head_handles=HANDLES,
                      tail_handles=HANDLES, source_in=source_in, source_out=source_in + length,
                      picture=picture)


def version(*shots: tuple[str, int, int]) -> list[VersionCut]:
    return [cut(i, name, start, length) for i, (name, start, length) in enumerate(shots, 1)]


V1 = version(("A", 1000, 48), ("B", 2000, 48), ("C", 3000, 48), ("D", 4000, 48), ("E", 5000, 48),
             ("F", 6000, 48))
# v2: B trimmed 3 at the head (within handles), C extended 12 at the tail (beyond), D omitted, G new,
# E and F swapped, A used again at the end
V2 = version(("A", 1000, 48), ("B", 2003, 45), ("C", 3000, 60), ("G", 7000, 24), ("F", 6000, 48),
             ("E", 5000, 48), ("A", 1010, 20))
# v3: D back (omitted in v2), everything else as in v2 but its repeat
V3 = version(("A", 1000, 48), ("B", 2003, 45), ("C", 3000, 60), ("D", 4000, 48), ("G", 7000, 24),
             ("F", 6000, 48), ("E", 5000, 48))


def table(rows: list[ShotChange]) -> list[tuple[str, str, int | None, int | None, bool]]:
    return [(r.name, r.category.value, r.head_delta, r.tail_delta, r.reordered) for r in rows]


def test_every_category_between_two_versions() -> None:
    rows = compare(V1, V2)
    assert table(rows) == [
        ("A", "unchanged", 0, 0, False),
        ("B", "cut_change", -3, 0, False),
        ("C", "rescan", 0, 12, False),
        ("D", "omitted", None, None, False),
        ("G", "new", None, None, False),
        ("F", "unchanged", 0, 0, True),  # E stays in order; F moved before it
        ("E", "unchanged", 0, 0, False),
        ("A", "repeated", None, None, False),
    ]
    assert all(r.matched_by is MatchedBy.NAME for r in rows if r.old and r.new)
    assert next(r for r in rows if r.category is Category.REPEATED).note == "also cut 1 of this version"


def test_a_shot_omitted_earlier_comes_back_reinstated() -> None:
    rows = compare(V2, V3, omitted_before={"D"})
    assert [(r.name, r.category.value) for r in rows] == [
        ("A", "unchanged"), ("B", "unchanged"), ("C", "unchanged"), ("D", "reinstated"),
        ("G", "unchanged"), ("F", "unchanged"), ("E", "unchanged"), ("A", "omitted")]


def test_an_extension_exactly_as_long_as_the_handles_is_a_cut_change() -> None:
    old = [cut(1, "A", 1000, 48)]
    assert compare(old, [cut(1, "A", 992, 56)])[0].category is Category.CUT_CHANGE  # 8 at the head
    assert compare(old, [cut(1, "A", 991, 57)])[0].category is Category.RESCAN  # 9 at the head


def test_a_version_compared_with_nothing_is_all_new() -> None:
    assert {r.category for r in compare([], V1)} == {Category.NEW}


def test_unnamed_cuts_are_matched_by_source_and_picture_and_say_so() -> None:
    old = [cut(1, "plate_001", 1000, 48, named=False, picture=0xF0F0_F0F0_F0F0_F0F0),
           cut(2, "plate_002", 2000, 48, named=False, picture=0x0123_4567_89AB_CDEF)]
    new = [cut(1, "plate_001", 2002, 46, named=False, picture=0x0123_4567_89AB_CDEE),
           cut(2, "plate_002", 1000, 48, named=False, picture=0xF0F0_F0F0_F0F0_F0F1)]
    rows = compare(old, new)
    assert [(r.old.order if r.old else None, r.new.order if r.new else None, r.category.value,
             r.matched_by) for r in rows] == [
        (2, 1, "cut_change", MatchedBy.SOURCE_AND_PICTURE),
        (1, 2, "unchanged", MatchedBy.SOURCE_AND_PICTURE)]
    assert rows[0].head_delta == -2 and 0.9 < rows[0].confidence < 1
    assert rows[0].reordered != rows[1].reordered  # one of the two moved


def test_two_different_burned_in_names_are_never_one_shot() -> None:
    same_picture = 0xAAAA_AAAA_AAAA_AAAA
    rows = compare([cut(1, "SH010", 1000, picture=same_picture)],
                   [cut(1, "SH020", 1000, picture=same_picture)])
    assert {(r.name, r.category) for r in rows} == {("SH010", Category.OMITTED), ("SH020", Category.NEW)}


def test_a_cut_like_two_others_is_matched_to_neither() -> None:
    picture = 0x5555_5555_5555_5555
    old = [cut(1, "p_001", 1000, named=False, picture=picture),
           cut(2, "p_002", 1000, named=False, picture=picture)]  # the same take used twice
    rows = compare(old, [cut(1, "p_001", 1000, named=False, picture=picture)])
    assert sorted(r.category.value for r in rows) == ["new", "omitted", "omitted"]
    assert all(r.note == "several cuts look like this one: not matched" for r in rows)


def test_without_source_timecode_only_the_duration_change_is_known() -> None:
    old = [VersionCut(1, "A", True, 48, HANDLES, HANDLES)]
    rows = compare(old, [VersionCut(1, "A", True, 40, HANDLES, HANDLES)])
    assert (rows[0].category, rows[0].duration_delta, rows[0].head_delta) == (Category.CUT_CHANGE, -8, None)
    assert rows[0].note is not None and "rescan cannot be told" in rows[0].note


def test_1500_cuts_a_side_all_found_again_by_name_by_source_or_by_picture() -> None:
    """The speed is measured by ``python -m bench.reel_changes`` (docs/BENCHMARKS.md)."""
    rng = random.Random(3)
    old = [cut(i, f"SH{i:04d}", i * 100, 48, picture=rng.getrandbits(64)) for i in range(1, 1501)]
    new = list(old)
    rng.shuffle(new)
    new = [VersionCut(i, c.name, c.named, c.duration, HANDLES, HANDLES, c.source_in, c.source_out,
                      c.picture) for i, c in enumerate(new, 1)]
    unnamed = [VersionCut(c.order, c.name, False, c.duration, HANDLES, HANDLES, c.source_in, c.source_out,
                          c.picture) for c in new]
    pictures_only = [VersionCut(c.order, c.name, False, c.duration, HANDLES, HANDLES, picture=c.picture)
                     for c in new]
    for pair in ((old, new), (old, unnamed), (old, pictures_only)):
        rows = compare(*pair)
        assert len(rows) == 1500 and {r.category for r in rows} == {Category.UNCHANGED}
