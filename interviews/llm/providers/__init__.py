"""LLM providers behind the InterviewerProvider interface: plain httpx, no vendor SDK."""
