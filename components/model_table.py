"""The all-sources model table: one row per model reference, with where and how it runs."""

from __future__ import annotations

import pandas as pd

from core.models.sources import SourceListing

COLUMNS = ["ref", "source", "state", "device", "execution_provider", "size_mb", "license"]


def models_frame(listings: list[SourceListing]) -> pd.DataFrame:
    """Flatten every source's models into one frame (empty frame with the columns when none)."""
    rows = [
        {
            "ref": m.ref,
            "source": m.source,
            "state": m.state,
            "device": m.device or "",
            "execution_provider": m.execution_provider or "",
            "size_mb": round(m.size_mb, 1) if m.size_mb else None,
            "license": m.license or "",
        }
        for listing in listings
        for m in listing.models
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
