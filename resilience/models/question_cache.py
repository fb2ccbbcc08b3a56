"""question_cache models (filled in by the question_cache work)."""
