"""The question cache: LLM-written questions kept per difficulty, language and topic, served
when every provider is down (docs: operations, "Question cache").

    from resilience.question_cache.services import question_cache_get, question_cache_put

Generic: it stores text plus opaque metadata and knows nothing of interviews. Writes and
lookups live in `services`, statistics in `selectors`, storage in `backends` (chosen by
QUESTION_CACHE_BACKEND), the pre-warm setting and source contract in `prewarm`.
"""
