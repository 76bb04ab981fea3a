"""A perceptual hash of a picture: 64-bit dHash, written as 16 hex digits.

The picture, in grey, is shrunk to 9 x 8 pixels; each of the 64 bits says whether a pixel
is brighter than its left neighbour (row by row, the first bit the most significant). A
picture scaled, recompressed or slightly regraded keeps nearly all its bits; different
pictures differ in many. The control plane matches cuts that carry no burned-in name by it
(:func:`jobs.manifest.picture_distance` counts the bits that differ).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

HASH_WIDTH, HASH_HEIGHT = 8, 8


def dhash(picture: Path) -> str:
    """The dHash of the picture file ``picture`` (any format Pillow reads)."""
    with Image.open(picture) as img:
        small = img.convert("L").resize((HASH_WIDTH + 1, HASH_HEIGHT), Image.Resampling.LANCZOS)
    grey = small.tobytes()  # one byte a pixel, row by row
    value = 0
    for y in range(HASH_HEIGHT):
        row = grey[y * (HASH_WIDTH + 1) : (y + 1) * (HASH_WIDTH + 1)]
        for x in range(HASH_WIDTH):
            value = (value << 1) | (row[x + 1] > row[x])
    return f"{value:016x}"
