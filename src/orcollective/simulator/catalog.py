"""The simulator's model catalog: hundreds of OpenRouter-shaped model records, the same on every run.

Well-known models come from the hand-written table in ``known_models``; ``:free`` variants of
open-weight models and seeded community fine-tunes fill the catalog up to the requested size.
"""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime
from decimal import Decimal

from .known_models import KNOWN_MODELS

_ORGS = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "meta-llama": "Meta",
    "mistralai": "Mistral",
    "qwen": "Qwen",
    "deepseek": "DeepSeek",
    "x-ai": "xAI",
    "cohere": "Cohere",
    "microsoft": "Microsoft",
    "nvidia": "NVIDIA",
    "amazon": "Amazon",
    "moonshotai": "MoonshotAI",
    "z-ai": "Z.AI",
    "minimax": "MiniMax",
    "perplexity": "Perplexity",
    "ai21": "AI21",
    "nousresearch": "Nous",
    "inflection": "Inflection",
    "baidu": "Baidu",
    "tencent": "Tencent",
    "thudm": "THUDM",
    "liquid": "Liquid",
    "ibm-granite": "IBM",
    "arcee-ai": "Arcee AI",
    "allenai": "AllenAI",
    "bytedance": "ByteDance",
    "inception": "Inception",
    "cognitivecomputations": "Dolphin",
    "sao10k": "Sao10K",
    "thedrummer": "TheDrummer",
    "gryphe": "MythoMax",
    "undi95": "ReMM",
    "alpindale": "Goliath",
    "neversleep": "NeverSleep",
    "mancer": "Mancer",
    "eleutherai": "EleutherAI",
    "sim": "Simulator",
}

_TOKENIZERS = {
    "openai": "GPT",
    "anthropic": "Claude",
    "google": "Gemini",
    "meta-llama": "Llama3",
    "qwen": "Qwen3",
    "mistralai": "Mistral",
    "deepseek": "DeepSeek",
    "x-ai": "Grok",
    "cohere": "Cohere",
    "nvidia": "Llama3",
    "amazon": "Nova",
    "nousresearch": "Llama3",
    "sao10k": "Llama3",
    "thedrummer": "Mistral",
}

# Seeded community fine-tunes that fill the catalog beyond the known models.
_COMMUNITY_AUTHORS = (
    "thedrummer",
    "sao10k",
    "nousresearch",
    "neversleep",
    "cognitivecomputations",
    "arcee-ai",
    "allenai",
    "undi95",
    "gryphe",
    "eleutherai",
    "mancer",
    "alpindale",
)
_COMMUNITY_BASES = (
    ("llama-3.1", "Llama 3.1"),
    ("llama-3.3", "Llama 3.3"),
    ("mistral-nemo", "Nemo"),
    ("qwen-2.5", "Qwen2.5"),
    ("qwen3", "Qwen3"),
    ("gemma-3", "Gemma 3"),
    ("mistral-small", "Mistral Small"),
    ("phi-4", "Phi 4"),
)
_COMMUNITY_SIZES = (3, 7, 8, 12, 14, 22, 24, 27, 32, 70, 72)
_COMMUNITY_STYLES = (
    ("instruct", "Instruct"),
    ("chat", "Chat"),
    ("roleplay", "Roleplay"),
    ("coder", "Coder"),
    ("reasoner", "Reasoner"),
    ("storyteller", "Storyteller"),
    ("uncensored", "Uncensored"),
    ("math", "Math"),
)
_COMMUNITY_CAPACITY = len(_COMMUNITY_AUTHORS) * len(_COMMUNITY_BASES) * len(_COMMUNITY_SIZES) * len(_COMMUNITY_STYLES)
_SEED = 20250417
_EPOCH_START = int(datetime(2023, 1, 15, tzinfo=UTC).timestamp())
_EPOCH_END = int(datetime(2026, 6, 30, tzinfo=UTC).timestamp())


def build_catalog(size: int = 320) -> list[dict]:
    """Return ``size`` model records in the ``GET /models`` shape, newest first, identical on every run."""
    rows = [_known_row(entry) for entry in KNOWN_MODELS]
    rows += [_free_row(row) for row in rows if "f" in row["flags"]]
    if size > len(rows) + _COMMUNITY_CAPACITY:
        raise ValueError(f"catalog size {size} is over the maximum {len(rows) + _COMMUNITY_CAPACITY}")
    rows += _community_rows(max(0, size - len(rows)))
    models = [_model(row) for row in rows[:size]]
    return sorted(models, key=lambda model: (-model["created"], model["id"]))


def scripted_model(model_id: str) -> dict:
    """A catalog record for a scripted model that the catalog lacks, priced like a cheap model."""
    free = model_id.endswith(":free")
    slug = model_id.split("/", 1)[-1].removesuffix(":free")
    return _model(
        {
            "id": model_id,
            "name": slug.replace("-", " ").title() + (" (free)" if free else ""),
            "context": 131072,
            "prompt": 0 if free else 0.1,
            "completion": 0 if free else 0.4,
            "flags": "t",
            "created": _EPOCH_END,
        }
    )


def per_token(usd_per_million: float) -> str:
    """USD per million tokens as OpenRouter's per-token decimal string ("0.0000025")."""
    value = Decimal(str(usd_per_million)) / 1_000_000
    return "0" if value == 0 else format(value.normalize(), "f")


def _timestamp(day: str, key: str) -> int:
    # A stable time of day per model keeps models released on one date in a fixed order.
    midnight = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return int(midnight.timestamp()) + zlib.crc32(key.encode()) % 86400


def _known_row(entry: tuple[str, str, int, float, float, str, str]) -> dict:
    model_id, name, context, prompt, completion, flags, day = entry
    return {
        "id": model_id,
        "name": name,
        "context": context,
        "prompt": prompt,
        "completion": completion,
        "flags": flags,
        "created": _timestamp(day, model_id),
    }


def _free_row(row: dict) -> dict:
    return {
        **row,
        "id": row["id"] + ":free",
        "name": row["name"] + " (free)",
        "prompt": 0,
        "completion": 0,
        "flags": row["flags"].replace("f", ""),
        "canonical": row["id"],
    }


def _community_rows(count: int) -> list[dict]:
    rng = random.Random(_SEED)
    rows: list[dict] = []
    seen: set[str] = set()
    while len(rows) < count:
        author = rng.choice(_COMMUNITY_AUTHORS)
        (base, base_name), size = rng.choice(_COMMUNITY_BASES), rng.choice(_COMMUNITY_SIZES)
        style, style_name = rng.choice(_COMMUNITY_STYLES)
        model_id = f"{author}/{base}-{size}b-{style}"
        if model_id in seen:
            continue
        seen.add(model_id)
        prompt = round(10 ** rng.uniform(-1.7, 0.3), 3)
        rows.append(
            {
                "id": model_id,
                "name": f"{base_name} {size}B {style_name}",
                "context": rng.choice((4096, 8192, 16384, 32768, 65536, 131072)),
                "prompt": prompt,
                "completion": round(prompt * rng.choice((1, 1.5, 2, 3, 4)), 3),
                "flags": "o" + ("v" if rng.random() < 0.15 else "") + ("t" if rng.random() < 0.4 else ""),
                "created": rng.randint(_EPOCH_START, _EPOCH_END),
            }
        )
    return rows


def _model(row: dict) -> dict:
    model_id, flags, context = row["id"], row["flags"], row["context"]
    author = model_id.split("/", 1)[0]
    canonical = row.get("canonical", model_id)
    canonical_slug = f"{canonical}-{datetime.fromtimestamp(row['created'], UTC):%Y%m%d}"
    free_suffix = ":free" if model_id.endswith(":free") else ""
    vision = "v" in flags
    inputs = ["text", "image"] if vision else ["text"]
    return {
        "id": model_id,
        "canonical_slug": canonical_slug,
        "hugging_face_id": canonical if "o" in flags else "",
        "name": f"{_ORGS.get(author, author.title())}: {row['name']}",
        "created": row["created"],
        "description": _description(row, author),
        "context_length": context,
        "architecture": {
            "modality": "text+image->text" if vision else "text->text",
            "input_modalities": inputs,
            "output_modalities": ["text"],
            "tokenizer": _TOKENIZERS.get(author, "Other"),
            "instruct_type": "chatml" if "o" in flags else None,
        },
        "pricing": _pricing(row, author),
        "top_provider": {
            "context_length": context,
            "max_completion_tokens": min(context // 4, 65536) if "o" not in flags else None,
            "is_moderated": author in ("openai", "anthropic"),
        },
        "per_request_limits": None,
        "supported_parameters": _parameters(flags),
        "default_parameters": {},
        "expiration_date": None,
        # A free variant shares its model's canonical slug; the suffix keeps its endpoints apart.
        "links": {"details": f"/api/v1/models/{canonical_slug}{free_suffix}/endpoints"},
    }


def _pricing(row: dict, author: str) -> dict[str, str]:
    prompt, completion = row["prompt"], row["completion"]
    pricing = {"prompt": per_token(prompt), "completion": per_token(completion)}
    if prompt == 0:
        return pricing
    if author == "perplexity":
        pricing["request"] = "0.005"
    if "v" in row["flags"] and author in ("openai", "anthropic"):
        pricing["image"] = per_token(prompt * 1445)
    if "r" in row["flags"] and author in ("openai", "google", "x-ai"):
        pricing["internal_reasoning"] = per_token(completion)
    if author in ("openai", "anthropic", "google", "deepseek", "x-ai"):
        pricing["input_cache_read"] = per_token(prompt / 10)
    if author == "anthropic":
        pricing["input_cache_write"] = per_token(prompt * 1.25)
    return pricing


def _parameters(flags: str) -> list[str]:
    names = {"max_tokens", "temperature", "top_p", "stop", "seed", "frequency_penalty", "presence_penalty"}
    if "o" in flags:
        names |= {"top_k", "min_p", "repetition_penalty", "logit_bias"}
    if "t" in flags:
        names |= {"tools", "tool_choice", "response_format", "structured_outputs"}
    if "r" in flags:
        names |= {"reasoning", "include_reasoning"}
    return sorted(names)


def _description(row: dict, author: str) -> str:
    flags = row["flags"]
    kind = "reasoning" if "r" in flags else "multimodal" if "v" in flags else "language"
    phrase = ("open-weight " if "o" in flags else "") + kind
    article = "an" if phrase[0] in "aeiou" else "a"
    released = datetime.fromtimestamp(row["created"], UTC)
    features = [text for flag, text in (("t", "tool calling"), ("v", "image input")) if flag in flags]
    sentence = f" It supports {' and '.join(features)}." if features else ""
    return (
        f"{row['name']} is {article} {phrase} model from {_ORGS.get(author, author)}, released in "
        f"{released:%B %Y}, with a {row['context']:,}-token context window.{sentence}"
    )
