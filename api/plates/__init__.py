"""Plates: what is uploaded, its state from upload to split, and its objects."""
