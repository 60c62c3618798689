"""The message list sent to a model, from a prompt or messages, a system prompt and image parts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import InvalidArgument


def build_messages(
    prompt: str | None,
    messages: list[dict] | None,
    system: str | None,
    image_content: list[dict] | None = None,
) -> list[dict]:
    """Turn ``prompt``/``messages``/``system``/images into a validated OpenAI-style message list."""
    if (prompt is None) == (messages is None):
        raise InvalidArgument("Give either 'prompt' (a string) or 'messages' (a list), not both and not neither.")
    if prompt is not None:
        if not prompt.strip():
            raise InvalidArgument("'prompt' is empty: pass the question or instruction to send.")
        out: list[dict] = [{"role": "user", "content": prompt}]
    else:
        if not messages:
            raise InvalidArgument("'messages' is empty: pass at least one {'role': 'user', 'content': ...}.")
        # Each message's shape was checked by the Request model (inputs.shapes.check_messages).
        out = [dict(message) for message in messages]
        if not any(m["role"] == "user" for m in out):
            raise InvalidArgument("'messages' has no user message: add one with role 'user'.")
    if system is not None and system.strip():
        out.insert(0, {"role": "system", "content": system})
    if image_content:
        last_user = max(i for i, m in enumerate(out) if m["role"] == "user")
        content = out[last_user]["content"]
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
        out[last_user] = {**out[last_user], "content": parts + image_content}
    return out


def continued(earlier: Mapping[str, list[dict]], model: str, messages: list[dict]) -> list[dict]:
    """``messages`` after ``model``'s own earlier exchange (its system prompt kept once, first)."""
    before = earlier.get(model, [])
    if not before:
        return messages
    if messages and messages[0]["role"] == "system" and before[0]["role"] == "system":
        messages = messages[1:]
    return [*before, *messages]


def text_only(messages: Sequence[dict]) -> list[dict]:
    """Messages with image parts dropped (an exchange is stored as text)."""
    out = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            content = "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
        out.append({"role": m["role"], "content": content})
    return out
