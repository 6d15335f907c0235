"""The all-sources model table: one row per model reference, with where and how it runs.

A blank cell there read as "lost": an endpoint's device, size and license are simply not told by an
OpenAI-compatible API, so each such cell says so (``core.benchmark.empty_cells`` words), and where the
product owner can fill it in (Decide)."""

from __future__ import annotations

import pandas as pd

from core.benchmark.empty_cells import is_remote, unknown_device
from core.models.sources import SourceListing

COLUMNS = ["ref", "source", "state", "device", "execution_provider", "size_mb", "license"]
ENTER_ON_DECIDE = "not reported (enter it on Decide if you know it)"


def models_frame(listings: list[SourceListing]) -> pd.DataFrame:
    """Flatten every source's models into one frame (empty frame with the columns when none); a figure the
    source does not give says so, never a blank."""
    rows = [
        {
            "ref": m.ref,
            "source": m.source,
            "state": m.state,
            "device": m.device or unknown_device(is_remote(m.ref)),
            "execution_provider": m.execution_provider or unknown_device(is_remote(m.ref)),
            "size_mb": f"{m.size_mb:,.1f}" if m.size_mb else ENTER_ON_DECIDE,
            "license": m.license or ENTER_ON_DECIDE,
        }
        for listing in listings
        for m in listing.models
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
