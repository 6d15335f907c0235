"""How big a benchmark may get, defined once for the CLI, the app's form and config loading.

The bounds are generous for a product owner comparing a handful of local models, and small enough
that a typo (``--rounds 1000000000``) or a hostile file (10,000 models) is refused with a sentence
instead of exhausting memory or the store. ``MAX_TOTAL_REQUESTS`` at ~1 s each is already more than
a day of measuring.
"""

from __future__ import annotations

from core.numbers import NumberRange

MAX_MODELS = 200  # per models.json and per run
MAX_TOTAL_REQUESTS = 100_000  # models × prompts × (warm-up + rounds × concurrency levels)

ROUNDS = NumberRange("Rounds", whole=True, minimum=1, maximum=1000)
WARMUP = NumberRange("Warm-up rounds", whole=True, minimum=0, maximum=100)
MAX_OUTPUT_TOKENS = NumberRange("Max output tokens", whole=True, minimum=1, maximum=32_768)
TIMEOUT_S = NumberRange("Request timeout (s)", minimum=0, maximum=3600, above=True)
TEMPERATURE = NumberRange("Temperature", minimum=0, maximum=2)
CONCURRENCY = NumberRange("Concurrency level", whole=True, minimum=1, maximum=64)
SLO_TARGET = NumberRange("Target", minimum=0, above=True)
