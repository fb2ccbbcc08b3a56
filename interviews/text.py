"""Text the databases can store, in the candidate's words (the rule is resilience/text.py).

Why a string is refused (NUL, lone surrogates) is explained with the rule itself; this module
turns it into plain words for the candidate.
"""

from resilience.text import UNSTORABLE, text_unstorable_at

__all__ = ["UNSTORABLE", "text_unstorable_at", "text_unstorable_message"]

CONTEXT_CHARS = 20  # how much of the text before the bad character the message quotes


def text_unstorable_message(text: str, index: int) -> str:
    """Plain words for the candidate: what is wrong and where, without echoing the character."""
    before = UNSTORABLE.sub("", text[max(0, index - CONTEXT_CHARS) : index]).strip()
    where = f" right after “{before}”" if before else " at the start"
    return (
        "Your answer contains a character that cannot be saved (often left by copying and "
        f"pasting){where}. Please delete or retype it and send again."
    )
