"""The message list sent to a model, from a prompt or messages, a system prompt and image parts."""

from __future__ import annotations

from ..errors import InvalidArgument

ROLES = ("system", "developer", "user", "assistant", "tool")


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
        out = []
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                raise InvalidArgument(f"messages[{i}] needs a 'role' of {', '.join(sorted(ROLES))} and a 'content'.")
            content = message.get("content")
            if not isinstance(content, (str, list)) and message.get("role") != "assistant":
                raise InvalidArgument(f"messages[{i}].content must be a string or a list of content parts.")
            out.append(dict(message))
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
