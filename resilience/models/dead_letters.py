"""dead_letters models (filled in by the dead_letters work)."""
