"""Price one call: :class:`ModelPrice`, with :class:`PriceTier` rates for long prompts.

Prices are USD per million tokens, as providers publish them, held as exact
``Decimal`` values that :func:`to_usd` checks. Rates left at ``None`` are
filled in once when a price is built, so :meth:`ModelPrice.cost` is plain
``Decimal`` arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["ModelPrice", "PriceTier", "to_usd"]

_MILLION = Decimal(1_000_000)

# (input, cached input, cache write, output, reasoning), each already defaulted.
_Rates = tuple[Decimal, Decimal, Decimal, Decimal, Decimal]


def to_usd(value: object, what: str) -> Decimal:
    """Return ``value`` as a finite, non-negative ``Decimal``, or raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise ValueError(f"{what} must be a Decimal such as Decimal('2.50'), got {value!r}")
    if isinstance(value, float):
        # repr() keeps 2.5 as 2.5 instead of the binary expansion Decimal(2.5) would give.
        value = repr(value)
    try:
        amount = Decimal(value)
    except ArithmeticError:
        raise ValueError(
            f"{what} must be a number such as Decimal('2.50'), got {value!r}"
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{what} must be a finite amount of at least 0, got {value!r}")
    return amount


def _optional_usd(value: object, what: str) -> Decimal | None:
    return None if value is None else to_usd(value, what)


@dataclass(frozen=True, slots=True)
class PriceTier:
    """Rates that apply to the whole call once its input exceeds ``above_input_tokens``.

    This is the providers' "cliff" model: a 250k-token prompt pays the tier
    rate for every token, not only for those past the threshold. Rates left
    at ``None`` fall back as in :class:`ModelPrice`.
    """

    above_input_tokens: int
    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None

    def __post_init__(self) -> None:
        threshold = self.above_input_tokens
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise ValueError(f"above_input_tokens must be an int of at least 0, got {threshold!r}")
        _convert_rates(self)

    def _rates(self) -> _Rates:
        return _defaulted(
            self.input, self.output, self.cached_input, self.cache_write, self.reasoning
        )


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """Prices of one model in USD per million tokens.

    Args:
        input: Price of an uncached input token.
        output: Price of an output token (reasoning tokens included).
        cached_input: Price of an input token read from the prompt cache;
            ``None`` bills cached tokens at the ``input`` rate.
        cache_write: Price of an input token written to the prompt cache;
            ``None`` bills them at the ``input`` rate.
        reasoning: Price of a reasoning token when it differs from ``output``.
        tiers: Higher rates for long prompts, see :class:`PriceTier`.
    """

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None
    tiers: tuple[PriceTier, ...] = ()
    _base: _Rates = field(init=False, repr=False, compare=False)
    _tiers_desc: tuple[tuple[int, _Rates], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _convert_rates(self)
        tiers = tuple(self.tiers)
        if not all(isinstance(tier, PriceTier) for tier in tiers):
            raise ValueError(
                "tiers must be PriceTier(above_input_tokens=..., input=..., output=...)"
            )
        thresholds = [tier.above_input_tokens for tier in tiers]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError(f"tier thresholds must differ, got {sorted(thresholds)}")
        ordered = sorted(tiers, key=lambda tier: tier.above_input_tokens)
        object.__setattr__(self, "tiers", tuple(ordered))
        object.__setattr__(
            self,
            "_base",
            _defaulted(
                self.input, self.output, self.cached_input, self.cache_write, self.reasoning
            ),
        )
        object.__setattr__(
            self,
            "_tiers_desc",
            tuple((tier.above_input_tokens, tier._rates()) for tier in reversed(ordered)),
        )

    @classmethod
    def per_1k(cls, prices: object) -> ModelPrice:
        """Build a price from the spec's per-1k dict ``{"prompt": ..., "completion": ...}``."""
        if not isinstance(prices, Mapping) or set(prices) != {"prompt", "completion"}:
            raise ValueError(
                "a per-1k price must be {'prompt': Decimal(...), 'completion': Decimal(...)}, "
                f"got {prices!r}; use ModelPrice(input=..., output=...) for per-million prices"
            )
        return cls(
            input=to_usd(prices["prompt"], "prompt price") * 1000,
            output=to_usd(prices["completion"], "completion price") * 1000,
        )

    def cost(
        self,
        input_tokens: int,
        output_tokens: int,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
        reasoning_tokens: int = 0,
    ) -> Decimal:
        """Return the exact USD cost of one call; counts are non-negative ints.

        ``input_tokens`` includes cached and cache-write tokens and
        ``output_tokens`` includes reasoning tokens, as the providers count
        them, so nothing is billed twice.

        Raises:
            ValueError: If the parts exceed their totals.
        """
        uncached = input_tokens - cached_tokens - cache_write_tokens
        if uncached < 0:
            raise ValueError(
                f"cached_tokens ({cached_tokens}) + cache_write_tokens ({cache_write_tokens}) "
                f"exceed input_tokens ({input_tokens}); input_tokens must include them"
            )
        visible = output_tokens - reasoning_tokens
        if visible < 0:
            raise ValueError(
                f"reasoning_tokens ({reasoning_tokens}) exceed output_tokens "
                f"({output_tokens}); output_tokens must include them"
            )
        rates = self._base
        for threshold, tier_rates in self._tiers_desc:
            if input_tokens > threshold:
                rates = tier_rates
                break
        rate_in, rate_cached, rate_write, rate_out, rate_reasoning = rates
        total = rate_in * uncached + rate_out * visible
        if cached_tokens:
            total += rate_cached * cached_tokens
        if cache_write_tokens:
            total += rate_write * cache_write_tokens
        if reasoning_tokens:
            total += rate_reasoning * reasoning_tokens
        return total / _MILLION


def _convert_rates(prices: ModelPrice | PriceTier) -> None:
    object.__setattr__(prices, "input", to_usd(prices.input, "input price"))
    object.__setattr__(prices, "output", to_usd(prices.output, "output price"))
    for name in ("cached_input", "cache_write", "reasoning"):
        object.__setattr__(prices, name, _optional_usd(getattr(prices, name), f"{name} price"))


def _defaulted(
    rate_in: Decimal,
    rate_out: Decimal,
    cached: Decimal | None,
    write: Decimal | None,
    reasoning: Decimal | None,
) -> _Rates:
    return (
        rate_in,
        rate_in if cached is None else cached,
        rate_in if write is None else write,
        rate_out,
        rate_out if reasoning is None else reasoning,
    )
