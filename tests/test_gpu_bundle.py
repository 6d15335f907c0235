"""Done means (issue 14): a GPU run bundle of the same family, made from a real run with every timing K times
as fast (``tests.gpu_bundle``), imported beside the laptop's real CPU run, pairs with it, and the stated
speed-up is K: exactly K times that of the same run imported unchanged (cpu-box), interval and all, and near
K over the laptop's own run, in the core frame and on the Compare page's GPU tab."""

from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components.run_bundles import import_outcome
from core.bundles import import_bundle
from core.compare.devices import device_speedup_frame
from core.compare.groups import build_groups
from core.compare.runs import model_refs
from core.compare.statements import device_statements
from core.models.specs import family_tags
from core.paths import REPO_ROOT
from store import Store
from store.queries import benchmark_runs, run_samples
from tests.gpu_bundle import BOX_REF, CPU_BOX, FAMILY, GPU_BOX, LAPTOP_REF, NEAR, K, write_fixture

HERE = socket.gethostname()


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, str]:
    """(the laptop's store file, the gpu-box bundle, the cpu-box bundle, the laptop's CPU run id): two real runs,
    once."""
    folder = tmp_path_factory.mktemp("gpu-bundle")
    gpu, cpu, cpu_run = write_fixture(folder)
    return folder / "pickwise.json", gpu, cpu, cpu_run


def laptop_copy(store_file: Path, tmp_path: Path) -> Path:
    """A copy of the laptop's store (its folder: samples live in per-run files beside it) for one test."""
    shutil.copytree(store_file.parent, tmp_path / "laptop")
    return tmp_path / "laptop" / store_file.name


def test_the_gpu_bundle_pairs_with_the_local_cpu_run_and_states_k(
        fixture: tuple[Path, Path, Path, str], tmp_path: Path) -> None:
    store_file, gpu, cpu, cpu_run = fixture
    store = Store(laptop_copy(store_file, tmp_path))
    report = import_bundle(store, gpu.read_bytes(), name=gpu.name)
    assert len(report.added) == 1 and import_bundle(store, gpu.read_bytes()).skipped == report.added
    import_bundle(store, cpu.read_bytes(), name=cpu.name)
    runs = benchmark_runs(store)
    groups = build_groups(runs, {r.run_id: run_samples(store, r.run_id) for r in runs}, model_refs(runs),
                          family_tags(store))
    frame = device_speedup_frame(groups)
    assert len(frame) == 6 and set(frame["family"]) == {FAMILY}
    assert set(frame["setup"]) == {f"{GPU_BOX}, CUDA", f"{CPU_BOX}, CPU"}
    assert set(frame["baseline_setup"]) == {f"{HERE}, CPU"}  # this machine's CPU is the baseline
    assert set(frame["model"]) == {BOX_REF} and set(frame["baseline_model"]) == {LAPTOP_REF}
    by_setup = {setup: rows.set_index("metric") for setup, rows in frame.groupby("setup")}
    on_gpu, on_cpu = by_setup[f"{GPU_BOX}, CUDA"], by_setup[f"{CPU_BOX}, CPU"]
    for metric, row in on_gpu.iterrows():
        assert row["shared_prompts"] == 5 and row["beyond_noise"], row
        for column in ("speedup", "ci95_low", "ci95_high"):  # the known factor, exactly, over the same pairing
            assert row[column] == pytest.approx(K * on_cpu.loc[metric, column], rel=1e-9), (metric, column)
        assert K / NEAR <= row["speedup"] <= K * NEAR, row
    sentences = device_statements(frame)
    tps = next(s for s in sentences if "tokens/s" in s and GPU_BOX in s)
    said = re.fullmatch(rf"{FAMILY} on {GPU_BOX}, CUDA is (\d\.\d)x as fast in tokens/s as on {re.escape(HERE)}, "
                        r"CPU \(95% CI (\d\.\d+)-(\d\.\d+)x, 10 requests each over 5 shared prompts\)\.", tps)
    row = on_gpu.loc["decode_tps"]
    assert said, tps
    assert float(said[1]) == pytest.approx(row["speedup"], abs=0.051), tps  # the sentence says the frame's figures
    assert float(said[2]) == pytest.approx(row["ci95_low"], abs=0.051), tps
    assert float(said[3]) == pytest.approx(row["ci95_high"], abs=0.051), tps
    assert cpu_run in {g.run_id for g in groups}


def test_the_gpu_tab_states_the_speed_up_after_the_bundle_is_imported(
        fixture: tuple[Path, Path, Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store_file, bundle, _, _ = fixture
    copy = laptop_copy(store_file, tmp_path)
    import_bundle(Store(copy), bundle.read_bytes(), name=bundle.name)
    monkeypatch.setenv("PICKWISE_DB", str(copy))
    app = AppTest.from_file(str(REPO_ROOT / "app_pages" / "compare.py"), default_timeout=60)
    app.session_state["cmp-tab"] = "With and without GPU"
    app.run()
    assert not app.exception
    words = "\n".join(str(m.value) for m in app.markdown)
    match = re.search(rf"{re.escape(FAMILY)} on {GPU_BOX}, CUDA is (\d\.\d)x as fast in tokens/s as on "
                      rf"{re.escape(HERE)}, CPU \(95% CI (\d\.\d+)-(\d\.\d+)x", words.replace("\\", ""))
    assert match, words
    assert K / NEAR <= float(match[1]) <= K * NEAR and float(match[2]) <= float(match[1]) <= float(match[3])


def test_each_uploaded_file_gets_one_sentence(fixture: tuple[Path, Path, Path, str], tmp_path: Path) -> None:
    """What the Compare page's uploader says per file: imported, already here, refused with core.bundles'
    reason (the page shows the sentence in a box; no traceback)."""
    store_file, bundle, _, _ = fixture
    store = Store(laptop_copy(store_file, tmp_path))
    into = lambda data, name: import_bundle(store, data, name=name)  # noqa: E731 - the page's own callable
    data = bundle.read_bytes()
    first, again = import_outcome(into, data, "gpu-box.json"), import_outcome(into, data, "b.json")
    assert not first.refused and re.fullmatch(r"gpu-box\.json: imported 1 run\(s\) \w+\.", first.sentence)
    assert not again.refused and again.added == () and "already here, skipped" in again.sentence
    damaged = import_outcome(into, data[:-40], "cut.json")
    assert damaged.refused and damaged.sentence.startswith("cut.json is damaged or incomplete")
