"""Corrections of a cut list (pure): exact frames and names after each edit, and every refusal."""

from __future__ import annotations

import pytest

from api.corrections.edits import (
    Accept,
    CutState,
    Dismiss,
    EditError,
    ListedCut,
    Merge,
    Move,
    Rename,
    Split,
    apply_edits,
)

PLATE = CutState((ListedCut(0, "sh010", "picture"), ListedCut(24, "sh020", "both"),
                  ListedCut(48, "sh030", "burnin")), frame_count=72)
SUSPICIOUS = frozenset({60})


def ranges(state: CutState) -> list[tuple[str, int, int, str]]:
    return [(cut.name, cut.first_frame, state.last_frame(i), cut.detected_by)
            for i, cut in enumerate(state.cuts)]


def test_split_merge_move_rename_give_exact_frames() -> None:
    state = apply_edits(PLATE, [Split(10), Merge(3), Move(3, -2), Rename(2, " sh015 ")], SUSPICIOUS)
    assert ranges(state) == [("sh010", 0, 9, "picture"), ("sh015", 10, 45, "editor"),
                             ("sh030", 46, 71, "editor")]


def test_a_split_names_its_new_cut_after_its_parent_with_a_free_suffix() -> None:
    state = apply_edits(PLATE, [Split(30), Split(40)], SUSPICIOUS)
    assert [c.name for c in state.cuts] == ["sh010", "sh020", "sh020_2", "sh020_2_2", "sh030"]


def test_accept_splits_at_a_suspicious_frame_and_dismiss_remembers_it() -> None:
    accepted = apply_edits(PLATE, [Accept(60)], SUSPICIOUS)
    assert ranges(accepted)[-2:] == [("sh030", 48, 59, "burnin"), ("sh030_2", 60, 71, "editor")]
    dismissed = apply_edits(PLATE, [Dismiss(60)], SUSPICIOUS)
    assert dismissed.cuts == PLATE.cuts and dismissed.dismissed == {60}


@pytest.mark.parametrize(("edit", "code"), [
    (Split(24), "split_at_boundary"),
    (Split(0), "split_at_boundary"),
    (Split(72), "frame_out_of_range"),
    (Merge(1), "merge_first_cut"),
    (Merge(4), "cut_not_found"),
    (Move(1, 3), "move_first_cut"),
    (Move(2, -24), "move_out_of_range"),
    (Move(3, 24), "move_out_of_range"),
    (Move(2, 0), "move_by_zero"),
    (Rename(2, "  "), "empty_name"),
    (Rename(2, "sh030"), "duplicate_name"),
    (Rename(2, "a/b"), "invalid_name"),
    (Accept(30), "not_suspicious"),
])
def test_edits_that_cannot_apply_say_why(edit: Split | Merge | Move | Rename | Accept, code: str) -> None:
    with pytest.raises(EditError) as raised:
        apply_edits(PLATE, [edit], SUSPICIOUS)
    assert raised.value.code == code


def test_a_batch_fails_whole_and_names_the_edit() -> None:
    with pytest.raises(EditError, match=r"^Edit 2 \(merge\): The first cut"):
        apply_edits(PLATE, [Split(10), Merge(1)], SUSPICIOUS)


def test_a_suspicious_frame_is_dismissed_once() -> None:
    with pytest.raises(EditError) as raised:
        apply_edits(PLATE, [Dismiss(60), Accept(60)], SUSPICIOUS)
    assert raised.value.code == "already_dismissed"


def test_moves_reach_the_frames_next_to_the_neighbours() -> None:
    state = apply_edits(PLATE, [Move(2, -23), Move(3, 23)], SUSPICIOUS)
    assert [(c.first_frame, state.last_frame(i)) for i, c in enumerate(state.cuts)] == [
        (0, 0), (1, 70), (71, 71)]
