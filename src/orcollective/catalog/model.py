"""One model of the OpenRouter catalog (an entry of ``GET /models``), parsed tolerantly."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

MILLION = Decimal(1_000_000)
ZERO = Decimal(0)


@dataclass(frozen=True)
class ModelInfo:
    """A catalog entry with exact prices in USD per token (``Decimal`` straight from the strings).

    Prices the catalog omits are 0. OpenRouter marks routers whose price depends on the model
    they pick (e.g. ``openrouter/auto``) with negative prices; those are kept as given and
    reported by ``variable_price``.
    """

    id: str
    name: str
    description: str
    context_length: int | None
    created: int | None
    prompt_price: Decimal
    completion_price: Decimal
    request_price: Decimal
    image_price: Decimal
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    supported_parameters: tuple[str, ...]
    max_completion_tokens: int | None
    raw: dict[str, Any] = field(compare=False, repr=False)

    @property
    def vision(self) -> bool:
        """Accepts image input."""
        return "image" in self.input_modalities

    @property
    def free(self) -> bool:
        """A ``:free`` variant, or prompt and completion both cost nothing."""
        return self.id.endswith(":free") or (self.prompt_price == 0 and self.completion_price == 0)

    @property
    def tools(self) -> bool:
        """Supports tool calling."""
        return "tools" in self.supported_parameters

    @property
    def variable_price(self) -> bool:
        """The price is decided per request (a router); the catalog gives no usable figure."""
        return self.prompt_price < 0 or self.completion_price < 0

    @property
    def prompt_per_mtok(self) -> Decimal:
        """USD per 1M prompt tokens."""
        return _tidy(self.prompt_price * MILLION)

    @property
    def completion_per_mtok(self) -> Decimal:
        """USD per 1M completion tokens."""
        return _tidy(self.completion_price * MILLION)

    def estimate_cost(self, prompt_tokens: int, completion_tokens: int, images: int = 0) -> Decimal:
        """USD for one request of this size: tokens × prices + the per-image and per-request prices.

        Negative (variable) prices count as 0, so for a router this is a lower bound.
        """
        prompt = max(self.prompt_price, ZERO) * prompt_tokens
        completion = max(self.completion_price, ZERO) * completion_tokens
        return prompt + completion + max(self.image_price, ZERO) * images + max(self.request_price, ZERO)

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> ModelInfo:
        """Parse one catalog entry; missing keys, nulls and unparseable values become defaults."""
        model_id = str(raw.get("id") or "")
        arch = _dict(raw.get("architecture"))
        pricing = _dict(raw.get("pricing"))
        top = _dict(raw.get("top_provider"))
        modality = _str(arch.get("modality"))
        inputs, _, outputs = modality.partition("->")
        return cls(
            id=model_id,
            name=_str(raw.get("name")) or model_id,
            description=_str(raw.get("description")),
            context_length=_int(raw.get("context_length")) or _int(top.get("context_length")),
            created=_int(raw.get("created")),
            prompt_price=_price(pricing.get("prompt")),
            completion_price=_price(pricing.get("completion")),
            request_price=_price(pricing.get("request")),
            image_price=_price(pricing.get("image")),
            input_modalities=_strs(arch.get("input_modalities")) or _split_modality(inputs),
            output_modalities=_strs(arch.get("output_modalities")) or _split_modality(outputs),
            supported_parameters=_strs(raw.get("supported_parameters")),
            max_completion_tokens=_int(top.get("max_completion_tokens")),
            raw=raw,
        )


def _tidy(value: Decimal) -> Decimal:
    # 0.0000025 × 1e6 is Decimal("2.5000000"); show it as 2.5, and 30.00000 as 30 rather than 3E+1.
    value = value.normalize()
    exponent = value.as_tuple().exponent  # an int for every finite value
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value


def _price(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ZERO
    try:
        price = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        return ZERO
    return price if price.is_finite() else ZERO


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def _split_modality(part: str) -> tuple[str, ...]:
    # Older entries only carry "text+image->text"; with nothing at all, assume text (the catalog default).
    return tuple(p for p in part.strip().split("+") if p) or ("text",)
