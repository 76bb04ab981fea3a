"""Reels: the versions of one reel a studio turns over, and the cut changes between them."""
