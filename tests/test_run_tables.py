"""The Benchmark page's tables: key figures first, one small-sample notice per table, every blank said why,
settings as a two-column table with the JSON as a download.

Seeded the way the runner stores a run (``tests/test_compare.py`` ``seed_run``): a local Foundry Local model
and a remote endpoint with no memory, disk or device, 7 counted requests each (below the 20 that tails need).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.benchmark.empty_cells import ALREADY_LOADED, NOT_REPORTED, REMOTE, REMOTE_NOTICE
from core.benchmark.run_summary import KEY_COLUMNS, RESOURCE_COLUMNS, run_summary_frame, settings_frame
from store import Store
from store.queries import get_run, run_samples
from store.records import Table
from tests.conftest import open_app
from tests.test_compare import ModelSpec, seed_run

LOCAL, REMOTE_REF = "foundry-local:small:1", "ollama:big"


@pytest.fixture
def seeded(app_store: Path) -> tuple[Store, str]:
    store = Store(app_store)
    run_id = seed_run(store, [ModelSpec(LOCAL), ModelSpec(REMOTE_REF, device=None, rss_load_mb=None, disk_mb=None)],
                      rounds=2)
    return store, run_id


def _frame(store: Store, run_id: str):
    return run_summary_frame(get_run(store, run_id), run_samples(store, run_id)).set_index("model")


def test_key_figures_come_first_and_no_row_repeats_the_small_sample_warning(seeded) -> None:
    frame = _frame(*seeded)
    assert list(frame.columns[:5]) == ["status", "n", "TTFT median, ms (95% CI)", "latency mean, s (95% CI)",
                                       "tokens/s mean (95% CI)"]
    assert not any("rests on only" in note for note in frame["notes"])


def test_every_missing_figure_says_why(seeded) -> None:
    store, run_id = seeded
    run = get_run(store, run_id)
    models = {ref: m.as_dict() for ref, m in run.models.items()}
    models[LOCAL] |= {"already_loaded": True, "load_s": None, "rss_load_mb": None}
    store.update_where(Table.RUNS, {"models": models}, run_id=run_id)
    frame = _frame(store, run_id)
    remote = frame.loc[REMOTE_REF]
    assert (remote["memory added (MB)"], remote["peak added (MB)"], remote["disk (MB)"]) == (REMOTE,) * 3
    assert remote["device"] == NOT_REPORTED
    local = frame.loc[LOCAL]
    assert local["load (s)"] == ALREADY_LOADED and local["memory added (MB)"] == ALREADY_LOADED
    cells = frame[RESOURCE_COLUMNS].to_numpy().ravel()
    assert all(isinstance(c, str) and c.strip() and c not in ("0", "unknown") for c in cells), cells


def test_settings_read_as_two_columns(seeded) -> None:
    store, run_id = seeded
    table = settings_frame(get_run(store, run_id))
    assert list(table.columns) == ["setting", "value"]
    values = dict(zip(table["setting"], table["value"], strict=True))
    assert values["prompts"] == "4 prompts" and values["rounds"] == "2" and values["slo"] == "none"
    assert not any(str(v).startswith(("{", "[")) for v in values.values())


def test_the_page_shows_key_figures_one_notice_the_reasons_and_a_json_download(seeded) -> None:
    app = open_app("app_pages/benchmark.py").run()
    assert not app.exception
    key = app.dataframe[0].value
    assert list(key.columns) == ["model", *(c for c in KEY_COLUMNS if c != "goodput")]  # the run set no targets
    captions = [c.value for c in app.main.caption]
    assert sum("rest on only 7 samples" in c for c in captions) == 1
    assert REMOTE_NOTICE in captions
    assert not app.json  # the settings are a table now, the JSON a download
    settings = next(d.value for d in app.dataframe if list(d.value.columns) == ["setting", "value"])
    assert "rounds" in set(settings["setting"])
    assert any(b.label == "Download as JSON" for b in app.get("download_button"))
