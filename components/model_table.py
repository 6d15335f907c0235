"""The all-sources model table: one row per model reference, with where and how it runs.

A blank cell there read as "lost": an endpoint's device, size and license are simply not told by an
OpenAI-compatible API, so each such cell says "not reported", and one notice under the table
(``NOT_REPORTED_NOTICE``) says why and where the product owner can fill them in (Decide)."""

from __future__ import annotations

import pandas as pd

from core.benchmark.empty_cells import NOT_REPORTED
from core.models.sources import SourceListing

COLUMNS = ["ref", "source", "state", "device", "execution_provider", "size_mb", "license"]
NOT_REPORTED_NOTICE = ("\"not reported\": the source does not say (an OpenAI-compatible endpoint tells no device, "
                       "execution provider, size or license); enter size and license on Decide if you know them.")


def models_frame(listings: list[SourceListing]) -> pd.DataFrame:
    """Flatten every source's models into one frame (empty frame with the columns when none); a figure the
    source does not give reads ``NOT_REPORTED``, never a blank."""
    rows = [
        {
            "ref": m.ref,
            "source": m.source,
            "state": m.state,
            "device": m.device or NOT_REPORTED,
            "execution_provider": m.execution_provider or NOT_REPORTED,
            "size_mb": f"{m.size_mb:,.1f}" if m.size_mb else NOT_REPORTED,
            "license": m.license or NOT_REPORTED,
        }
        for listing in listings
        for m in listing.models
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
