"""Will it fit: the estimate's arithmetic and its sentence, the estimate of a real in-process model (none for an
endpoint), and the estimate stored beside the measured peak in a real run of the tiny model."""

from __future__ import annotations

import pytest

from core.benchmark.runner import create_run, execute_run
from core.engines.openai_compatible import OpenAICompatibleEngine
from core.models.fit import RUNTIME_OVERHEAD_MB, estimate_fit, estimate_model, fit_warnings, prompt_tokens
from core.models.sources import Sources
from store import Store
from tests.test_model_process import PROMPTS, _Control, _settings


def test_needed_memory_is_weights_plus_kv_cache_plus_runtime_against_free_ram():
    fit = estimate_fit(90.0, 360.0, 8192, available_ram_mb=400.0)
    assert fit.needed_mb == pytest.approx(90 + 360 + RUNTIME_OVERHEAD_MB)
    assert fit.fits is False and fit.against == "RAM"
    warning = fit.warning("foundry-local:big:1")
    assert warning is not None and "\n" not in warning
    for figure in (f"{fit.needed_mb:,.0f} MB", "90 MB weights", "360 MB KV cache at 8,192 tokens", "400 MB of RAM",
                   "You can still run it"):
        assert figure in warning
    assert estimate_fit(90.0, 360.0, 8192, available_ram_mb=10_000.0).warning("x") is None
    assert estimate_fit(None, 360.0, 8192, available_ram_mb=1.0).fits is None  # unknown weights: no verdict


def test_reading_the_longest_prompt_is_part_of_the_estimate(foundry_engine, tiny_model):
    """Each prompt token's logits (vocabulary x 4 bytes on the CPU) are held while the prompt is read: the
    default model's peak grew 0.19 MB a prompt token (BENCHMARKS.md), so the longest prompt counts."""
    assert prompt_tokens([]) is None and prompt_tokens(["abcd" * 100, "short"]) == 100 + 32
    with_prompt = estimate_fit(90.0, 360.0, 8192, prompt_mb=450.0, available_ram_mb=1000.0)
    assert with_prompt.needed_mb == pytest.approx(90 + 360 + 450 + RUNTIME_OVERHEAD_MB) and with_prompt.fits is False
    assert "450 MB reading the longest prompt" in (with_prompt.warning("x") or "")
    facts = foundry_engine.context_facts(tiny_model)
    assert facts.logits_mb_per_token and facts.logits_mb_per_token > 0
    long_prompt = estimate_model(foundry_engine, tiny_model, prompts=["word " * 2000])
    assert long_prompt is not None and long_prompt.prompt_mb == pytest.approx(
        prompt_tokens(["word " * 2000]) * facts.logits_mb_per_token)


def test_a_model_on_a_gpu_is_compared_with_free_gpu_memory_when_it_is_read():
    on_gpu = estimate_fit(1000.0, 500.0, 4096, on_gpu=True, gpu_free_mb=1200.0, available_ram_mb=64_000.0)
    assert (on_gpu.against, on_gpu.free_mb, on_gpu.fits) == ("GPU memory", 1200.0, False)
    unread = estimate_fit(1000.0, 500.0, 4096, on_gpu=True, gpu_free_mb=None, available_ram_mb=64_000.0)
    assert (unread.against, unread.fits) == ("RAM", True)


def test_the_estimate_of_a_registered_model_reads_its_files_and_an_endpoint_has_none(store, foundry_engine,
                                                                                     tiny_model):
    fit = estimate_model(foundry_engine, tiny_model)
    assert fit is not None and fit.context_length == 2048
    assert fit.kv_cache_mb == pytest.approx(2 * 2 * 2 * 16 * 2048 * 4 / 2**20)
    assert fit.weights_mb == pytest.approx(foundry_engine.disk_mb(tiny_model) * 1e6 / 2**20)
    assert estimate_model(OpenAICompatibleEngine("ep", "http://127.0.0.1:9/v1"), "m") is None
    assert fit_warnings(Sources(store, foundry_engine), [f"foundry-local:{tiny_model}"]) == []  # it fits here


def test_a_run_stores_the_estimate_beside_the_measured_peak(store: Store, tiny_model: str) -> None:
    ref = f"foundry-local:{tiny_model}"
    run = execute_run(store, create_run(store, _settings([ref], prompts=PROMPTS[:1], rounds=1, warmup=0)), _Control())
    record = run.models[ref]
    assert record.status == "completed", record.error
    assert record.memory_estimate_mb is not None and record.rss_peak_mb is not None
    parts = record.memory_estimate or {}
    assert parts["needed_mb"] == record.memory_estimate_mb and parts["against"] == "RAM"
    assert parts["kv_cache_mb"] == pytest.approx(record.kv_cache_mb)
