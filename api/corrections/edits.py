"""Corrections of a plate's cuts: split, merge, move a boundary, rename, accept or dismiss a
suspicious frame. Pure: a cut list in, a new cut list out, or an ``EditError`` saying why not.

Frames are 0-based plate frames. A cut list is the plate's cuts in order, each one starting at its
``first_frame`` (the boundary in the plate: the first frame of the cut's segment) and running to
the frame before the next cut's, the last one to the plate's end. The first cut starts at frame 0.
Cuts are addressed by ``order``, 1-based, as the cut table shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from jobs.cut_list import NAME_MAX, safe_name

EDITOR = "editor"  # detected_by of a boundary an editor placed or moved
MAX_NAME_LENGTH = NAME_MAX


class EditError(ValueError):
    """An edit that cannot apply: ``code`` says which rule it broke."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ListedCut:
    first_frame: int
    name: str
    detected_by: str  # picture, burnin, both (found by the detector) or editor


@dataclass(frozen=True)
class Split:
    frame: int  # the first frame of the new cut
    op: Literal["split"] = "split"


@dataclass(frozen=True)
class Merge:
    order: int  # this cut joins the one before it
    op: Literal["merge"] = "merge"


@dataclass(frozen=True)
class Move:
    order: int  # the boundary that starts this cut
    by: int  # frames, later when positive
    op: Literal["move"] = "move"


@dataclass(frozen=True)
class Rename:
    order: int
    name: str
    op: Literal["rename"] = "rename"


@dataclass(frozen=True)
class Accept:
    frame: int  # a suspicious frame that becomes a boundary
    op: Literal["accept"] = "accept"


@dataclass(frozen=True)
class Dismiss:
    frame: int  # a suspicious frame that is no cut
    op: Literal["dismiss"] = "dismiss"


Edit = Split | Merge | Move | Rename | Accept | Dismiss


@dataclass(frozen=True)
class CutState:
    """What a cut version holds: its cuts and the suspicious frames dismissed so far."""

    cuts: tuple[ListedCut, ...]
    frame_count: int
    dismissed: frozenset[int] = frozenset()

    def last_frame(self, position: int) -> int:
        """The last frame of the cut at 0-based ``position``."""
        if position + 1 < len(self.cuts):
            return self.cuts[position + 1].first_frame - 1
        return self.frame_count - 1


def apply_edits(state: CutState, edits: Sequence[Edit], suspicious: frozenset[int]) -> CutState:
    """``state`` with ``edits`` applied in order; ``EditError`` at the first that cannot apply
    (then nothing is applied: the caller keeps ``state``)."""
    for number, edit in enumerate(edits, start=1):
        try:
            state = _apply(state, edit, suspicious)
        except EditError as exc:
            prefix = f"Edit {number} ({edit.op}): " if len(edits) > 1 else ""
            raise EditError(exc.code, prefix + str(exc)) from None
    return state


def _apply(state: CutState, edit: Edit, suspicious: frozenset[int]) -> CutState:
    if isinstance(edit, Split):
        return split(state, edit.frame)
    if isinstance(edit, Merge):
        return merge(state, edit.order)
    if isinstance(edit, Move):
        return move(state, edit.order, edit.by)
    if isinstance(edit, Rename):
        return rename(state, edit.order, edit.name)
    _check_suspicious(state, edit.frame, suspicious)
    if isinstance(edit, Accept):
        return split(state, edit.frame)
    return replace(state, dismissed=state.dismissed | {edit.frame})


def split(state: CutState, frame: int) -> CutState:
    """A new cut starting at ``frame``, inside a cut (never at its first frame)."""
    if not 0 <= frame < state.frame_count:
        raise EditError("frame_out_of_range",
                        f"Frame {frame} is not in the plate (frames 0 to {state.frame_count - 1}).")
    starts = [cut.first_frame for cut in state.cuts]
    if frame in starts:
        raise EditError("split_at_boundary",
                        f"Frame {frame} already starts cut {starts.index(frame) + 1}: a split "
                        "needs a frame inside a cut.")
    position = max(i for i, start in enumerate(starts) if start < frame)
    parent = state.cuts[position]
    new = ListedCut(frame, _free_name(state, parent.name), EDITOR)
    cuts = (*state.cuts[:position + 1], new, *state.cuts[position + 1:])
    return replace(state, cuts=cuts)


def merge(state: CutState, order: int) -> CutState:
    """Cut ``order`` joins the cut before it (which keeps its name)."""
    position = _position(state, order)
    if position == 0:
        raise EditError("merge_first_cut", "The first cut has no cut before it to merge into.")
    return replace(state, cuts=state.cuts[:position] + state.cuts[position + 1:])


def move(state: CutState, order: int, by: int) -> CutState:
    """The boundary that starts cut ``order`` moved ``by`` frames; both cuts keep a frame at least."""
    position = _position(state, order)
    if position == 0:
        raise EditError("move_first_cut", "The first cut starts the plate: its start cannot move.")
    if by == 0:
        raise EditError("move_by_zero", "Moving a boundary by 0 frames changes nothing.")
    cut = state.cuts[position]
    frame = cut.first_frame + by
    earliest, latest = state.cuts[position - 1].first_frame + 1, state.last_frame(position)
    if not earliest <= frame <= latest:
        raise EditError("move_out_of_range",
                        f"Cut {order} can start at frames {earliest} to {latest}, not {frame}: "
                        "every cut keeps one frame at least.")
    cuts = list(state.cuts)
    cuts[position] = replace(cut, first_frame=frame, detected_by=EDITOR)
    return replace(state, cuts=tuple(cuts))


def rename(state: CutState, order: int, name: str) -> CutState:
    position = _position(state, order)
    name = name.strip()
    check_name(name)
    others = {cut.name.casefold() for i, cut in enumerate(state.cuts) if i != position}
    if name.casefold() in others:  # file names: some file systems ignore case
        raise EditError("duplicate_name", f"Another cut is already named {name!r}.")
    cuts = list(state.cuts)
    cuts[position] = replace(cuts[position], name=name)
    return replace(state, cuts=tuple(cuts))


def check_name(name: str) -> None:
    if not name:
        raise EditError("empty_name", "A cut's name cannot be empty.")
    if len(name) > MAX_NAME_LENGTH or safe_name(name) != name:
        raise EditError("invalid_name", f"{name[:40]!r} cannot name a cut's files: at most "
                        f"{MAX_NAME_LENGTH} letters, digits, '_', '.' or '-', not starting or "
                        "ending with '.' or '_'.")


def _position(state: CutState, order: int) -> int:
    if not 1 <= order <= len(state.cuts):
        raise EditError("cut_not_found", f"There is no cut {order} (cuts 1 to {len(state.cuts)}).")
    return order - 1


def _check_suspicious(state: CutState, frame: int, suspicious: frozenset[int]) -> None:
    if frame not in suspicious:
        raise EditError("not_suspicious", f"Frame {frame} is not a suspicious frame of this plate.")
    if frame in state.dismissed:
        raise EditError("already_dismissed", f"Suspicious frame {frame} was dismissed already.")


def _free_name(state: CutState, base: str) -> str:
    """``base`` with the first free suffix (``_2``, ``_3``...): a split's new cut, until renamed."""
    taken = {cut.name.casefold() for cut in state.cuts}
    number = 2
    while f"{base}_{number}".casefold() in taken:
        number += 1
    return f"{base[:MAX_NAME_LENGTH - 8]}_{number}"
