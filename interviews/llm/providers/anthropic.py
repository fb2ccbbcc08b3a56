"""Anthropic's Messages API (ANTHROPIC_BASE_URL, without the /v1)."""

from typing import Any

from interviews.llm.prompts import Message
from interviews.llm.providers.remote import RemoteInterviewer, envelope_error

API_VERSION = "2023-06-01"


class AnthropicInterviewer(RemoteInterviewer):
    name = "anthropic"

    def request(
        self, system: str, messages: list[Message], max_tokens: int
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        body = {
            "model": self.model,
            "max_tokens": max_tokens,
            "system": system,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
        }
        headers = {"x-api-key": self._api_key, "anthropic-version": API_VERSION}
        return f"{self.base_url}/v1/messages", headers, body

    def content(self, data: Any) -> str:
        blocks = data.get("content") if isinstance(data, dict) else None
        if not isinstance(blocks, list):
            raise envelope_error(self.name, "no content list")
        texts = [
            b["text"]
            for b in blocks
            if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
        ]
        if not texts:
            raise envelope_error(self.name, "no text block in content")
        return "".join(texts)
