"""The fake LLM: an HTTP server speaking the OpenAI Chat Completions and Anthropic Messages APIs,
for tests, benchmarks, the chaos drills and `manage.py fake_llm` (docs: operations, "The fake
LLM server").

It lives outside `interviews/llm/` because nothing in production imports it: the LLM package
holds only what a deployment runs, and this server only ever stands in for a provider.
"""
