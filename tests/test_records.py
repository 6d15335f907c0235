"""The store contract (``store/records.py``): what every step writes fits it, SCHEMA.md is generated
from it, writes outside it are refused, and no module spells a table name of its own.

The journey test writes through the real runner, probe, judge, manual grading, library and CLI,
against fake OpenAI-compatible servers on 127.0.0.1, then reads every stored document back
through its record: a field the code writes but the contract does not declare fails here.
"""

from __future__ import annotations

import ast
import csv
import io
import json
from pathlib import Path
from typing import get_args

import pytest

from cli import main
from core.benchmark import BenchmarkSettings, create_run, execute_run
from core.config import ModelSpec, PromptItem
from core.engines.base import ChatParams
from core.grading import export_annotation_csv, grading_items, import_annotation_csv, install_presets, record_grade
from core.grading.judge import start_judging
from core.grading.presets import HELPFULNESS
from core.grading.rubric import get_rubric
from core.library import save_model_specs, save_prompt_set
from core.paths import REPO_ROOT
from core.probe import run_probe
from core.sources import Sources, add_endpoint
from store import Store, queries
from store.records import (
    KIND_MEANINGS,
    RECORDS,
    STATUS_MEANINGS,
    ContractError,
    ModelStatus,
    Run,
    RunKind,
    Table,
)
from store.schema_doc import SCHEMA_PATH, render
from tests.fake_openai_server import FakeOpenAIServer, Scenario
from tests.test_benchmark import _Control
from tests.test_grading_judge import _serve, _wait

PROMPTS = [{"id": "capital", "prompt": "What is the capital of France?", "reference": "Paris."},
           {"id": "haiku", "prompt": "Write a haiku about rain."}]


def test_schema_md_is_what_the_records_generate() -> None:
    committed = SCHEMA_PATH.read_text(encoding="utf-8")
    assert render(committed) == committed, "store/SCHEMA.md is stale: run `python -m store.schema_doc --write`"


def test_schema_md_documents_what_the_runner_writes() -> None:
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    for field in ("`concurrency`", "`gpu_load_mb`", "`energy_j`", "`slo_pass_rate`", "`throughput_by_concurrency`",
                  "`partial`", "`decisions` (Decision)", "`endpoints` (Endpoint)"):
        assert field in text


def test_every_status_and_kind_has_a_meaning() -> None:
    assert set(STATUS_MEANINGS) == set(get_args(ModelStatus))
    assert set(KIND_MEANINGS) == set(get_args(RunKind))


def _everything_written(store: Store, store_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One of every document Pickwise writes, through the code that writes it."""
    save_model_specs(store, [ModelSpec(alias="a", source="a", model="fake-model", license="mit", size_mb=100.0)])
    save_prompt_set(store, "mine", [PromptItem(**p) for p in PROMPTS])
    with FakeOpenAIServer(Scenario(n_tokens=6)) as a, FakeOpenAIServer(Scenario(tokens=["Lyon, ", "I think."])) as b:
        add_endpoint(store, "a", a.base_url)
        add_endpoint(store, "b", b.base_url, "B_KEY")
        sources = Sources(store, None)
        run_probe(sources, store, "a:fake-model", "Hello?", ChatParams(max_output_tokens=8))
        settings = BenchmarkSettings(models=["a:fake-model", "b:fake-model"], prompts=PROMPTS, rounds=2, warmup=1,
                                     concurrency=[1, 2], slo={"ttft_s": 1.0}, timeout_s=5)
        run_id = create_run(store, settings)
        execute_run(sources, store, run_id, _Control())
    install_presets(store)
    rubric = get_rubric(store, HELPFULNESS.name)
    assert rubric is not None
    with _serve(store):  # the scripted judge, as endpoint "judge"; its job writes `jobs` too
        job_id = start_judging(Sources(store, None), store, run_id, "judge:fake-model", rubric)
        assert _wait(store, job_id)["state"] == "completed"
    first = grading_items(store, run_id)[0]
    record_grade(store, run_id, first.item_id, "Ana", rubric, {"helpfulness": 4}, "fine")
    first_row = next(csv.DictReader(io.StringIO(export_annotation_csv(store, run_id, rubric))))
    sheet = io.StringIO()
    writer = csv.DictWriter(sheet, fieldnames=list(first_row))
    writer.writeheader()
    writer.writerow({**first_row, "helpfulness": "3"})
    assert import_annotation_csv(store, run_id, "Ben", rubric, sheet.getvalue()).stored == 1
    code = main(["--db", str(store_file), "decide", "--runs", run_id, "--quality", "judge:judge:fake-model",
                 "--format", "json", "--out", str(tmp_path / "decision.json")])
    assert code == 0, capsys.readouterr().err


def test_every_document_the_code_writes_fits_its_record(store: Store, store_file: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    _everything_written(store, store_file, tmp_path, capsys)
    store = Store(store_file)
    for record in RECORDS:
        docs = store.all(record.TABLE)
        assert docs, f"nothing written to {record.TABLE}: the journey should cover every table"
        for doc in docs:
            typed = record.read(doc)
            assert typed.unknown_fields() == [], f"{record.TABLE} holds fields its record does not declare"
            stored = {k: v for k, v in doc.items() if k != "_id"}
            assert typed.to_doc() == stored, f"{record.TABLE}: the record does not read back what was written"
    statuses = {m["status"] for run in store.all(Table.RUNS) for m in run["models"].values()}
    assert statuses <= set(get_args(ModelStatus))


def test_a_write_outside_the_contract_is_refused_and_nothing_is_stored(store: Store) -> None:
    good = {"run_id": "r1", "kind": "benchmark", "status": "queued", "created_at": "2026-03-01T10:00:00+00:00",
            "settings": {}, "environment": {}, "prompt_set": {"name": "s", "prompts": []},
            "models": {"a:m": {"status": "queued"}}}
    with pytest.raises(ContractError, match="no field speed"):
        queries.insert(store, Run.build({**good, "speed": 3}))
    with pytest.raises(ContractError, match=r"models\.a:m\.latency"):
        queries.insert(store, Run.build({**good, "models": {"a:m": {"status": "queued", "latency": 1}}}))
    with pytest.raises(ContractError, match="status"):
        Run.build({**good, "status": "finished"})
    assert store.count(Table.RUNS) == 0
    doc_id = queries.insert(store, Run.build(good))
    with pytest.raises(ContractError, match="status"):
        queries.update(store, Run, doc_id, {"status": "done"})
    with pytest.raises(ContractError, match="no field finshed_at"):
        queries.update(store, Run, doc_id, {"finshed_at": "now"})
    assert store.get(Table.RUNS, doc_id)["status"] == "queued"


def test_older_documents_read_and_keep_what_this_version_does_not_know(store: Store) -> None:
    """A run from before ``error``/``owner`` existed, with a field a later version added: it reads,
    the missing fields are unknown (None), and an update leaves the unknown field in the file."""
    doc_id = store.insert(Table.RUNS, {
        "run_id": "old", "kind": "benchmark", "status": "running", "created_at": "2025-01-01T00:00:00+00:00",
        "settings": {"rounds": 3}, "environment": {}, "prompt_set": {"name": "s", "prompts": []},
        "models": {"a:m": {"status": "running", "future_figure": 1.5}}, "from_the_future": True})
    run = queries.get_run(store, "old")
    assert run is not None and run.error is None and run.owner is None and run.doc_id == doc_id
    assert run.model_extra == {"from_the_future": True}
    queries.update(store, Run, doc_id, {"status": "interrupted"})
    assert store.get(Table.RUNS, doc_id)["from_the_future"] is True


STORE_METHODS = {"insert", "insert_many", "update", "update_where", "remove", "remove_where", "find", "all", "get",
                 "count"}
TABLE_NAMES = {value for name, value in vars(Table).items() if name.isupper()}


def _python_files() -> list[Path]:
    return [*sorted((REPO_ROOT / "core").rglob("*.py")), REPO_ROOT / "cli.py"]


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_table_names_are_spelled_only_in_the_records(path: Path) -> None:
    """No store call with a table name as a string, and no constant of one's own for a table name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in STORE_METHODS \
                and ast.unparse(node.func.value).endswith("store") \
                and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in TABLE_NAMES:
            pytest.fail(f"{path.name}:{node.lineno} spells the table {node.args[0].value!r}: use store.records.Table")
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value in TABLE_NAMES:
            pytest.fail(f"{path.name}:{node.lineno} defines its own name for a table: use store.records.Table")


def test_cli_decide_rejects_an_unknown_quality_source_in_one_line(capsys: pytest.CaptureFixture[str],
                                                                   store_file: Path, tmp_path: Path) -> None:
    code = main(["--db", str(store_file), "decide", "--runs", "r1", "--quality", "robots", "--format", "md",
                 "--out", str(tmp_path / "d.md")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "use judge:SOURCE:MODEL_ID, people or none" in err
    assert not (tmp_path / "d.md").exists() and json.loads(store_file.read_text()).get("decisions") in (None, {})
