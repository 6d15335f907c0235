"""Where Pickwise keeps its files.

Everything the app writes lives under one data folder so a user can back it up or delete it
in one go: ``PICKWISE_DATA`` when set, else ``data/`` beside the code. The store file can be
pointed elsewhere on its own with ``PICKWISE_DB`` (or ``--db`` on the CLI).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The data folder, created on first use."""
    path = Path(os.environ.get("PICKWISE_DATA") or REPO_ROOT / "data").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The TinyDB file: explicit override, else ``PICKWISE_DB``, else ``<data>/pickwise.json``."""
    chosen = override or os.environ.get("PICKWISE_DB")
    return Path(chosen).expanduser() if chosen else data_dir() / "pickwise.json"


def models_dir() -> Path:
    """Foundry Local's model cache and Pickwise's converted models."""
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path
