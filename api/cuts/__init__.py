"""Cuts a split found in a plate, as its manifest describes them, and the plate's outputs."""
