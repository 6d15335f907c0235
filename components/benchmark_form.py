"""The benchmark settings form, and import/export of ``models.json`` and ``prompts.json``.

Imports are validated by ``core.config``; every problem is listed with its place in the file and
nothing the user already set up is lost when a file is rejected. The page passes what is stored (prompt
sets, model metadata) and how to save an import; nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st

from components.safe_text import md
from core import limits
from core.benchmark.settings import BenchmarkSettings
from core.config import (
    ConfigError,
    ModelSpec,
    PromptItem,
    dump_models_config,
    dump_prompts_config,
    load_models_config,
    load_prompts_config,
)
from core.models.specs import model_spec
from core.models.variants import Family
from core.numbers import NumberRange
from store.records import ModelInfo

CONCURRENCY_LEVELS = [1, 2, 4, 8]
NO_FAMILY = "(none)"


def _show_config_error(exc: ConfigError) -> None:
    st.error(md("{file} was not imported: {n} problem(s). Nothing was changed.\n\n", file=exc.filename,
                n=len(exc.problems)) + "\n".join(md("- {problem:code}", problem=p) for p in exc.problems))


def import_panel(available_refs: list[str], save_prompts: Callable[[str, list[PromptItem]], object],
                 save_models: Callable[[list[ModelSpec]], object]) -> None:
    """Upload a prompts.json or models.json; valid files are saved (``save_prompts(name, items)``, which may
    refuse a name with ``ValueError``; ``save_models(specs)``), invalid ones explained."""
    with st.expander("Import or export models.json / prompts.json"):
        prompts_file = st.file_uploader("prompts.json", type=["json"], key="import-prompts")
        set_name = st.text_input("Name for the imported prompt set", key="import-prompts-name")
        if prompts_file is not None and st.button("Import prompts"):
            try:
                items = load_prompts_config(prompts_file.getvalue(), prompts_file.name)
                save_prompts(set_name or prompts_file.name.removesuffix(".json"), items)
            except ConfigError as exc:
                _show_config_error(exc)
            except ValueError as exc:
                st.error(md("{error}", error=exc))
            else:
                st.success(f"Imported {len(items)} prompts.")
        models_file = st.file_uploader("models.json", type=["json"], key="import-models")
        if models_file is not None and st.button("Import models"):
            try:
                specs = load_models_config(models_file.getvalue(), models_file.name)
            except ConfigError as exc:
                _show_config_error(exc)
            else:
                save_models(specs)
                missing = [s.ref for s in specs if s.ref not in available_refs]
                st.success(f"Imported {len(specs)} models; they are selected below.")
                if missing:
                    st.warning(md("Not listed by any source right now: {refs}. They stay selected: a model that "
                                  "cannot be reached is marked failed and the run goes on.", refs=", ".join(missing)))
                st.session_state["bench-models"] = [s.ref for s in specs]


def export_buttons(specs: dict[str, ModelInfo], refs: list[str], set_name: str, prompts: list[dict]) -> None:
    models = [model_spec(ref, specs) for ref in refs]
    c1, c2 = st.columns(2)
    c1.download_button("Export models.json", dump_models_config(models), "models.json", "application/json",
                       disabled=not refs)
    c2.download_button("Export prompts.json", dump_prompts_config([PromptItem(**p) for p in prompts]),
                       f"{set_name}.json", "application/json")


def _bounds(allowed: NumberRange, kind: type[int] | type[float] = int) -> tuple[int | float, int | float]:
    """A ``number_input``'s min and max from the one definition in ``core.limits``.

    An excluded minimum (a timeout above 0) starts the widget at the next whole step."""
    assert allowed.minimum is not None and allowed.maximum is not None, allowed
    return kind(allowed.minimum + (1 if allowed.above else 0)), kind(allowed.maximum)


# each field's key, the run setting it shows, and its value for a first run
_FIELDS = {key: (name, BenchmarkSettings.default_values()[name]) for key, name in {
    "bench-warmup": "warmup", "bench-rounds": "rounds", "bench-max-tokens": "max_output_tokens",
    "bench-timeout": "timeout_s", "bench-temperature": "temperature", "bench-seed": "seed",
    "bench-concurrency": "concurrency"}.items()}
_TARGETS = {"bench-ttft-target": "ttft_s", "bench-e2e-target": "e2e_s"}


def _remember(remembered: dict | None, choices: dict[str, list[dict]], available_refs: list[str],
              preferred: list[str]) -> None:
    """Fill the fields a new browser session has not set yet from ``remembered`` (the settings of the run
    running or started last), else the defaults: after a reload the form shows the run it started, and
    what the user already changed in this session is left alone."""
    settings = remembered or {}
    values: dict[str, object] = {key: default if settings.get(name) is None else settings[name]
                                 for key, (name, default) in _FIELDS.items()}
    values |= {key: float((settings.get("slo") or {}).get(metric, 0.0)) for key, metric in _TARGETS.items()}
    values["bench-timeout"] = int(values["bench-timeout"])  # the field steps in whole seconds
    # Streamlit forgets a widget's value while it is not drawn: the last choice in this session comes first
    models = st.session_state.get("bench-models-chosen", settings.get("models", preferred))
    values["bench-models"] = [r for r in models if r in available_refs]
    if settings.get("prompt_set_name") in choices:
        values["bench-set"] = settings["prompt_set_name"]
    for key, value in values.items():
        st.session_state.setdefault(key, value)


def family_variants(families: Mapping[str, Family]) -> list[str]:
    """A model family (Foundry Local's alias) and the devices to run it on, default all its variants; returns
    the chosen variants' refs. A variant not downloaded yet is downloaded at the start of its measurement."""
    if not families:
        return []
    name = st.selectbox("Model family: one model on several devices", [NO_FAMILY, *families], key="bench-family",
                        help="Foundry Local publishes a model in variants per device; these are the variants "
                             "its catalog lists for this machine.")
    if name == NO_FAMILY:
        return []
    family = families[name]
    columns = st.columns(len(family.devices))
    devices = [device for column, device in zip(columns, family.devices, strict=True)
               if column.checkbox(md("{device}", device=device), value=True, key=f"bench-family-{name}-{device}")]
    chosen = [v for v in family.variants if v.device in devices]
    for v in chosen:
        st.caption(md("{device} · {ep} · {ref} · {state}", device=v.device, ep=v.execution_provider or "-",
                      ref=v.ref, state="on this machine" if v.cached else "downloaded in the run, with progress"))
    return [v.ref for v in chosen]


def settings_form(choices: dict[str, list[dict]], specs: dict[str, ModelInfo], available_refs: list[str],
                  preferred: list[str], *, families: Mapping[str, Family] | None = None,
                  remembered: dict | None = None, busy: bool = False) -> BenchmarkSettings | None:
    """Draw the form over the prompt sets (``core.benchmark.prompt_sets.saved.prompt_set_choices``) and the
    stored model metadata (for the models.json export); return settings when the user starts a valid run.
    ``remembered``: the stored settings of the run running or started last (``runs.settings``), shown in
    a new session; ``busy``: a run is in progress, so Start waits for it (two runs would share the cores);
    ``families``: the listed model families (``core.models.variants.model_families``), whose chosen variants
    join the models."""
    _remember(remembered, choices, available_refs, preferred)
    picked = st.multiselect("Models", available_refs, key="bench-models")
    st.session_state["bench-models-chosen"] = picked
    refs = list(dict.fromkeys([*picked, *family_variants(families or {})]))
    set_name = st.selectbox("Prompt set", list(choices), key="bench-set")
    prompts = choices[set_name]
    with st.expander(f"{len(prompts)} prompts in this set"):
        for item in prompts:
            st.text(f"{item['id']}: {item['prompt'][:200]}")
    c1, c2, c3, c4 = st.columns(4)
    warmup = c1.number_input("Warm-up rounds (not counted)", *_bounds(limits.WARMUP), key="bench-warmup")
    rounds = c2.number_input("Rounds", *_bounds(limits.ROUNDS), key="bench-rounds")
    max_tokens = c3.number_input("Max output tokens", *_bounds(limits.MAX_OUTPUT_TOKENS), key="bench-max-tokens")
    timeout = c4.number_input("Request timeout (s)", *_bounds(limits.TIMEOUT_S), key="bench-timeout")
    c1, c2, c3, c4 = st.columns(4)
    temperature = c1.number_input("Temperature", *_bounds(limits.TEMPERATURE, float), step=0.1,
                                  help="0 makes runs repeatable.", key="bench-temperature")
    seed = c2.number_input("Seed", 0, 2**31 - 1, key="bench-seed")
    concurrency = c3.multiselect("Concurrency levels", CONCURRENCY_LEVELS, key="bench-concurrency",
                                 help="More than one level measures throughput under load.")
    ttft_target = c4.number_input("Target TTFT (s, 0 = none)", 0.0, 60.0, step=0.1, key="bench-ttft-target",
                                  help="Goodput is the share of requests meeting every target; a failed "
                                       "request misses them all.")
    e2e_target = c4.number_input("Target latency (s, 0 = none)", 0.0, 3600.0, step=0.5, key="bench-e2e-target")
    export_buttons(specs, refs, set_name, prompts)
    if not st.button("Start benchmark", type="primary", disabled=not refs or busy, key="bench-start",
                     help="A run is in progress: cancel it or wait for it to end." if busy else None):
        return None
    settings = BenchmarkSettings(
        models=refs, prompts=prompts, prompt_set_name=set_name, warmup=int(warmup), rounds=int(rounds),
        max_output_tokens=int(max_tokens), temperature=float(temperature), seed=int(seed),
        timeout_s=float(timeout), concurrency=sorted(concurrency) or [1],
        slo={metric: float(target) for metric, target in (("ttft_s", ttft_target), ("e2e_s", e2e_target))
             if target > 0},
    )
    try:
        settings.validate()
    except ValueError as exc:
        st.error(md("{error}", error=exc))
        return None
    return settings
