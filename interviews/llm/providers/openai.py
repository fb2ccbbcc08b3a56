"""Any server speaking OpenAI's Chat Completions API (OPENAI_BASE_URL, e.g. .../v1).

Only the widely supported core of the API is used (model and messages): no JSON mode, no
temperature, no token limit parameter, whose names and support differ between OpenAI's own
model families and compatible servers. The prompt and the validator enforce the JSON instead.
"""

from typing import Any

from interviews.llm.prompts import Message
from interviews.llm.providers.remote import RemoteInterviewer, envelope_error


class OpenAIInterviewer(RemoteInterviewer):
    name = "openai"

    def request(
        self, system: str, messages: list[Message], max_tokens: int
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": system},
                *({"role": m.role, "content": m.content} for m in messages),
            ],
        }
        headers = {"Authorization": f"Bearer {self._api_key}"}
        return f"{self.base_url}/chat/completions", headers, body

    def content(self, data: Any) -> str:
        try:
            message = data["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            raise envelope_error(self.name, "no choices[0].message") from None
        text = message.get("content") if isinstance(message, dict) else None
        if not isinstance(text, str):
            # A refusal arrives with content null and the reason in "refusal".
            raise envelope_error(self.name, "choices[0].message.content is not text")
        return text
