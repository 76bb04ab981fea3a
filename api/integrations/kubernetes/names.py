"""Names and label values the Kubernetes API accepts.

Job names are DNS-1123 labels (at most 63 characters, lower-case alphanumerics and ``-``); label
values are at most 63 characters of ``[A-Za-z0-9._-]`` that begin and end with an alphanumeric.
"""

from __future__ import annotations

import re
import uuid

MAX_LABEL = 63
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_NOT_IN_LABEL_VALUE = re.compile(r"[^A-Za-z0-9._-]+")


def is_dns1123_label(name: str) -> bool:
    return len(name) <= MAX_LABEL and DNS1123_LABEL.match(name) is not None


def is_label_value(text: str) -> bool:
    return len(text) <= MAX_LABEL and LABEL_VALUE.match(text) is not None


def job_name_for(plate_id: str, attempt: int) -> str:
    """``platecut-<first 12 hex digits of the plate's uuid>-a<attempt>``, e.g. ``platecut-1f0c2a9e4b7d-a2``.

    Deterministic per attempt, so a resubmitted attempt finds its own Job (the launcher adopts it).
    """
    if attempt < 1:
        raise ValueError(f"attempt must be at least 1, not {attempt}")
    name = f"platecut-{uuid.UUID(plate_id).hex[:12]}-a{attempt}"  # 48 bits: clashes negligible
    if not is_dns1123_label(name):
        raise ValueError(f"{name!r} is not a DNS-1123 label of at most {MAX_LABEL} characters")
    return name


def label_value(text: str) -> str:
    """``text`` made a valid label value: other characters become ``-``, cut to 63 characters,
    then stripped of non-alphanumerics at both ends (so it may come out empty, which is valid)."""
    value = _NOT_IN_LABEL_VALUE.sub("-", text)[:MAX_LABEL].strip("-_.")
    assert is_label_value(value), value
    return value
