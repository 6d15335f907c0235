"""License and size reach Decide without retyping: what the user typed (the Decide page's details or
models.json, both the ``models`` table) comes first, then what the catalog listed and the run measured; each
figure says where it came from."""

from __future__ import annotations

from core.decide.candidates import candidate_table
from tests.test_selection import model_entry, run_doc, specs


def _run(license: str | None, disk: float | None):
    entry = model_entry(1.0, 1.5, 20, disk=disk) | {"license": license}
    return run_doc("r", "2026-01-01T00:00:00+00:00", {"foundry-local:phi:1": entry})


def test_the_catalog_license_and_the_measured_size_are_used_when_nobody_typed_one() -> None:
    (c,) = candidate_table([_run("MIT", 812.0)]).candidates
    assert (c.license, c.license_source, c.disk_mb, c.disk_source) == ("MIT", "catalog", 812.0, "run")
    assert c.evidence("license", "mean")["source"] == "catalog"


def test_what_the_user_typed_wins_over_the_catalog_and_the_run() -> None:
    typed = specs({"foundry-local:phi:1": {"license": "apache-2.0", "size_mb": 700}})
    (c,) = candidate_table([_run("MIT", 812.0)], typed).candidates
    assert (c.license, c.license_source, c.disk_mb, c.disk_source) == ("apache-2.0", "model details", 700,
                                                                        "metadata")


def test_nothing_known_stays_missing() -> None:
    (c,) = candidate_table([_run(None, None)]).candidates
    assert (c.license, c.license_source, c.disk_mb, c.disk_source) == (None, None, None, None)


def test_the_decide_page_uses_the_license_the_run_recorded(app_store) -> None:
    from store import Store
    from store.records import Table
    from tests.conftest import open_app
    from tests.test_app_decide import _seed_run

    run_id = _seed_run(app_store)
    store = Store(app_store)
    [doc] = store.find(Table.RUNS, run_id=run_id)
    models = doc["models"] | {"fast:fake-model": doc["models"]["fast:fake-model"] | {"license": "MIT"}}
    store.update_where(Table.RUNS, {"models": models}, run_id=run_id)
    at = open_app("app_pages/decide.py").run()
    assert not at.exception, at.exception
    assert "MIT" in at.multiselect(key="c-licenses").options
    at.multiselect(key="c-licenses").select("MIT")
    at.run()
    ranked = next(d.value for d in at.dataframe if "score" in d.value.columns)
    assert list(ranked["model"]) == ["fast:fake-model"]
    assert any("slow:fake-model" in w.value and "license is unknown" in w.value for w in at.warning)


class _CatalogEngine:
    """A fixture engine whose catalog lists a license, and one whose lookup fails."""

    def __init__(self, license: str | None, fails: bool = False) -> None:
        self.license, self.fails = license, fails

    def license_of(self, model_id: str) -> str | None:
        from core.engines.base import EngineError

        if self.fails:
            raise EngineError("catalog unavailable")
        return self.license


def test_the_license_the_catalog_lists_is_kept_on_the_run_entry() -> None:
    from core.benchmark.model_process import _ask

    assert _ask(_CatalogEngine("MIT"), "license_of", "phi:1") == "MIT"  # type: ignore[arg-type]
    assert _ask(_CatalogEngine("MIT", fails=True), "license_of", "phi:1") is None  # type: ignore[arg-type]
    assert _ask(object(), "license_of", "m") is None  # type: ignore[arg-type]  # an endpoint lists none
