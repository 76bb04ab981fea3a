"""Publishing a plate's served cuts to a production tracker (Kitsu)."""
