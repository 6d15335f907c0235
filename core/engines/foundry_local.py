"""Foundry Local, in-process, through ``foundry-local-sdk`` (v2).

Facts this module is built around (checked against foundry-local-sdk 2.2.1 on Linux x86-64):

* ``FoundryLocalManager`` is a process singleton. ``get_manager()`` creates it once, thread-safely,
  with every folder under ``core.paths.data_dir()``; the Foundry model cache is
  ``core.paths.models_dir()``. The data folder is bound at creation: changing ``PICKWISE_DATA``
  later in the same process has no effect on Foundry Local.
* Any call on the PUBLIC catalog (listing, cached models, lookups) first fetches it from the
  network; offline that takes ~4.5 s of retries and yields an empty catalog, and the failure is
  cached for the life of the manager. So the public catalog is fetched once, in a background
  thread, and ``list_models()`` only reads what that fetch left (``catalog_status()`` says how it
  went). The LOCAL catalog (models registered from a folder) never touches the network.
* Offline, those retries also print ``[warning] Operation failed after 4 attempts ...`` and ``[error]
  failed to fetch catalog from ...`` on the process's stderr (the SDK's console sink; its file sink
  writes the same lines under ``data/logs/foundry``), and the manager's exit waits for them. So the
  fetch first checks, in its thread, that the catalog's host can be reached at all (``CATALOG_CHECK_S``);
  when it cannot, the SDK is never asked and the status says "public catalog unavailable offline; local
  models listed". ``PICKWISE_FOUNDRY_CATALOG_URL`` points Foundry Local at another catalog (a mirror).
  The log level also governs the file sink, so it is left at WARNING; ``core.native_output`` keeps
  native console lines off the CLI's terminal.
* Local registrations persist across processes: Foundry Local keeps them in
  ``<models_dir>/foundry.local.modelinfo.json``. No Pickwise-side registry is needed.
* A registered folder needs a chat template (``chat_template.jinja`` or
  ``tokenizer_config.json["chat_template"]``), else every chat fails with "Empty chat template.".
* ``ChatSession`` keeps history, so ``stream_chat`` uses a fresh session per request. Stream items
  are not tokens: token counts come from the final response's usage.
* ``RequestOptions(additional_options={"guidance_type": "json_schema", "guidance_data": <schema as
  JSON>})`` constrains generation to the schema, honouring property order and ``maxLength`` (the
  default model then answers a judge's verdict in under a second; see ``_guidance`` for whitespace).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from foundry_local_sdk import (
    CatalogType,
    ChatSession,
    Configuration,
    FoundryLocalException,
    FoundryLocalManager,
    IModel,
    MessageItem,
    ModelInfoBuilder,
    Request,
    RequestOptions,
    SearchOptions,
    TextItem,
    TextItemType,
)

from core.engines.base import (
    ChatParams,
    EngineError,
    EngineTimeout,
    LoadResult,
    ModelEntry,
    ModelNotFound,
    ProgressCallback,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from core.paths import data_dir, models_dir
from core.refs import FOUNDRY_SOURCE

APP_NAME = "Pickwise"
LOCAL_PROVIDER = "LocalRegistration"
MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*:[0-9]+$")
CHAT_TASKS = frozenset({"chat-completion", "coding", "vision-language-chat"})
REGISTER_TASKS = CHAT_TASKS | {"embeddings", "automatic-speech-recognition"}

# genai_config.json provider_options key -> (device, execution provider) that Foundry reports.
_GENAI_PROVIDERS: dict[str, tuple[str, str]] = {
    "cuda": ("GPU", "CUDAExecutionProvider"),
    "dml": ("GPU", "DmlExecutionProvider"),
    "webgpu": ("GPU", "WebGpuExecutionProvider"),
    "nvtensorrtrtx": ("GPU", "NvTensorRTRTXExecutionProvider"),
    "qnn": ("NPU", "QNNExecutionProvider"),
    "vitisai": ("NPU", "VitisAIExecutionProvider"),
    "ryzenai": ("NPU", "RyzenAIExecutionProvider"),
    "openvino": ("NPU", "OpenVINOExecutionProvider"),
}
_CPU = ("CPU", "CPUExecutionProvider")

_ROLE_FACTORIES = {
    "system": MessageItem.system,
    "user": MessageItem.user,
    "assistant": MessageItem.assistant,
    "developer": MessageItem.developer,
}

_manager_lock = threading.Lock()

CATALOG_URL_ENV = "PICKWISE_FOUNDRY_CATALOG_URL"
DEFAULT_CATALOG_URL = "https://api.catalog.azureml.ms/asset-gallery/v1.0/models"  # the SDK's default
CATALOG_CHECK_S = 0.8  # a TCP connection to the catalog's host; offline, name resolution fails at once
OFFLINE_MESSAGE = "public catalog unavailable offline; local models listed"


def catalog_url() -> str:
    """The public catalog Foundry Local fetches (``PICKWISE_FOUNDRY_CATALOG_URL``, else Azure's)."""
    return os.environ.get(CATALOG_URL_ENV, "").strip() or DEFAULT_CATALOG_URL


def catalog_reachable(url: str, timeout_s: float = CATALOG_CHECK_S) -> bool:
    """Whether a TCP connection to the catalog's host opens within ``timeout_s`` (no request is sent)."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname or "", port), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


def foundry_config() -> Configuration:
    """The Configuration Pickwise uses: every Foundry folder under the data folder."""
    base = data_dir()
    custom = os.environ.get(CATALOG_URL_ENV, "").strip()
    return Configuration(
        app_name=APP_NAME,
        app_data_dir=str(base / "foundry"),
        model_cache_dir=str(models_dir()),
        logs_dir=str(base / "logs" / "foundry"),
        disable_nonessential_telemetry=True,
        catalog_urls=[(custom, None)] if custom else None,
    )


def get_manager() -> FoundryLocalManager:
    """The process-wide Foundry Local manager, created on first use (thread-safe)."""
    manager = FoundryLocalManager.instance
    if manager is not None:
        return manager
    with _manager_lock:
        if FoundryLocalManager.instance is None:
            try:
                FoundryLocalManager.initialize(foundry_config())
            except FoundryLocalException as exc:
                raise EngineError(
                    f"Foundry Local could not start: {exc}. Check that {data_dir()} is writable and "
                    "that foundry-local-sdk's native runtime installed (run 'foundry-local-install')."
                ) from exc
        manager = FoundryLocalManager.instance
        assert manager is not None
        return manager


# --------------------------------------------------------------------------------------------
# Public catalog, fetched once in the background
# --------------------------------------------------------------------------------------------

CatalogState = Literal["idle", "fetching", "ready", "empty", "offline", "error"]


@dataclass(frozen=True)
class CatalogStatus:
    """How the background fetch of the public catalog went."""

    state: CatalogState
    model_count: int
    message: str
    seconds: float | None = None

    @property
    def done(self) -> bool:
        return self.state in ("ready", "empty", "offline", "error")

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class _PublicSnapshot:
    variants: dict[str, IModel]  # model id -> variant handle
    entries: dict[str, ModelEntry]  # model id -> entry as fetched (state "available")


class _PublicCatalog:
    """One background fetch per process (the SDK caches the result, even a failure)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._snapshot = _PublicSnapshot({}, {})
        self._status = CatalogStatus("idle", 0, "public catalog not fetched yet")

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._status = CatalogStatus("fetching", 0, "fetching the public catalog")
            self._thread = threading.Thread(target=self._fetch, name="pickwise-foundry-catalog", daemon=True)
            self._thread.start()

    def _fetch(self) -> None:
        started = time.perf_counter()
        try:
            if not catalog_reachable(catalog_url()):
                self._status = CatalogStatus("offline", 0, OFFLINE_MESSAGE, time.perf_counter() - started)
                return
            catalog = get_manager().get_catalog(CatalogType.PUBLIC)
            variants: dict[str, IModel] = {}
            entries: dict[str, ModelEntry] = {}
            for model in catalog.list_models():
                for variant in model.variants:
                    entry = _entry_from_model(variant, "available")
                    variants[entry.model_id] = variant
                    entries[entry.model_id] = entry
            seconds = time.perf_counter() - started
            if entries:
                status = CatalogStatus("ready", len(entries), f"public catalog: {len(entries)} models", seconds)
            else:
                status = CatalogStatus("empty", 0, "public catalog unreachable (offline?) or empty: 0 models", seconds)
            self._snapshot = _PublicSnapshot(variants, entries)
            self._status = status
        except Exception as exc:  # shown to the user as-is
            self._status = CatalogStatus("error", 0, f"public catalog failed: {exc}", time.perf_counter() - started)
        finally:
            self._done.set()

    def wait(self, timeout: float | None) -> bool:
        self.start()
        return self._done.wait(timeout)

    @property
    def status(self) -> CatalogStatus:
        return self._status

    @property
    def snapshot(self) -> _PublicSnapshot | None:
        """What the fetch left; None while fetching, and offline (any call on the public catalog would
        start the SDK's own fetch and its retries)."""
        return self._snapshot if self._done.is_set() and self._status.state != "offline" else None


_public = _PublicCatalog()


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _genai_device(path: str | os.PathLike[str] | None) -> tuple[str | None, str | None]:
    """Device and EP that genai_config.json selects (what Foundry uses when none was registered)."""
    if not path:
        return None, None
    try:
        config = json.loads((Path(path) / "genai_config.json").read_text(encoding="utf-8"))
        options = config["model"]["decoder"]["session_options"].get("provider_options") or []
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, None
    for option in options:
        for key in option if isinstance(option, dict) else ():
            if key.lower() in _GENAI_PROVIDERS:
                return _GENAI_PROVIDERS[key.lower()]
    return _CPU


@dataclass(frozen=True)
class ContextFacts:
    """The context length a model is loaded with, the KV cache it sizes, and the logits one prompt token costs
    while the prompt is read (estimates, None where unknown)."""

    context_length: int | None
    kv_cache_mb: float | None
    logits_mb_per_token: float | None = None


def _genai_context(path: str | os.PathLike[str] | None) -> ContextFacts:
    """What genai_config.json says about the context: onnxruntime-genai sizes its KV buffers for
    ``search.max_length`` tokens (``past_present_share_buffer``), so the cache is

        layers x 2 (K and V) x KV heads x head size x context x bytes per value

    at batch 1, whatever the prompt. Reading the prompt also produces logits for every prompt token,
    ``vocab_size`` values each (0.19 MB a token for the default model, measured: 44, 465 and 2,371 prompt tokens
    peaked at 572, 665 and 1,017 MB added). Bytes per value: 4 on the CPU execution provider (the builder's
    CPU models keep fp32 inputs and outputs), 2 elsewhere (fp16); genai_config.json does not say."""
    try:
        config = json.loads((Path(path or "") / "genai_config.json").read_text(encoding="utf-8"))
        model = config["model"]
        decoder = model["decoder"]
        context = config.get("search", {}).get("max_length") or model.get("context_length")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return ContextFacts(None, None)
    context = context if isinstance(context, int) and context > 0 else None
    heads = decoder.get("num_attention_heads")
    head_size = decoder.get("head_size") or (decoder.get("hidden_size", 0) // heads if heads else None)
    shape = (decoder.get("num_hidden_layers"), decoder.get("num_key_value_heads") or heads, head_size, context)
    if not all(isinstance(n, int) and n > 0 for n in shape):
        return ContextFacts(context, None)
    layers, kv_heads, head_size, context = shape
    bytes_per_value = 4 if _genai_device(path)[1] == _CPU[1] else 2
    vocab = model.get("vocab_size")
    logits = vocab * bytes_per_value / 2**20 if isinstance(vocab, int) and vocab > 0 else None
    return ContextFacts(context, layers * 2 * kv_heads * head_size * context * bytes_per_value / 2**20, logits)


def _folder_mb(path: str | os.PathLike[str] | None) -> float | None:
    if not path or not os.path.isdir(path):
        return None
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(root, name)).st_size
    return round(total / 1_000_000, 1)


def _entry_from_model(model: IModel, state: str, path_size: dict[str, float | None] | None = None) -> ModelEntry:
    info = model.info
    device = info.runtime.device_type.value if info.runtime and info.runtime.device_type else None
    ep = info.runtime.execution_provider if info.runtime and info.runtime.execution_provider else None
    size: float | None = float(info.file_size_mb) if info.file_size_mb else None
    if info.provider_type == LOCAL_PROVIDER or (device is None and state != "available"):
        path = model.get_path()
        if device is None or ep is None:
            genai_device, genai_ep = _genai_device(path)
            device, ep = device or genai_device, ep or genai_ep
        if size is None:
            if path_size is not None:
                if path not in path_size:
                    path_size[path] = _folder_mb(path)
                size = path_size[path]
            else:
                size = _folder_mb(path)
    return ModelEntry(
        source=FOUNDRY_SOURCE,
        model_id=info.id,
        display_name=info.display_name or info.alias or info.id,
        state=state,  # type: ignore[arg-type]
        device=device,
        execution_provider=ep,
        size_mb=size,
        license=info.license,
        task=info.task,
        family=info.alias or None,
    )


def _chat_template_problem(folder: Path) -> str | None:
    if (folder / "chat_template.jinja").is_file():
        return None
    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        if isinstance(config.get("chat_template"), str) and config["chat_template"].strip():
            return None
    except (OSError, ValueError):
        pass
    return (
        f"{folder} has no chat template: Foundry Local needs one to run chats. Add a "
        "'chat_template.jinja' file, or a 'chat_template' string in tokenizer_config.json, "
        "taken from the model's original tokenizer."
    )


def _sdk_error(action: str, model_id: str, exc: Exception) -> EngineError:
    text = str(exc)
    if "Empty chat template" in text:
        return EngineError(
            f"{action} {model_id} failed: the model folder has no chat template. Add "
            "'chat_template.jinja' (or tokenizer_config.json 'chat_template') and register it again."
        )
    return EngineError(f"{action} {model_id} failed in Foundry Local: {text}")


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------


class FoundryLocalEngine:
    """Foundry Local as a Pickwise ``Engine`` (see ``core.engines.base``).

    Cheap to construct (the manager is shared); the public catalog fetch starts on the first
    ``list_models()`` or with ``start_catalog_fetch=True``.
    """

    source = FOUNDRY_SOURCE
    runs_in_process = True  # models run in this process, so its resident memory is the model's cost

    def __init__(self, manager: FoundryLocalManager | None = None, *, start_catalog_fetch: bool = False) -> None:
        self._manager = manager or get_manager()
        self._local = self._manager.get_catalog(CatalogType.LOCAL)
        self._sizes: dict[str, float | None] = {}
        if start_catalog_fetch:
            _public.start()

    @property
    def models_dir(self) -> Path:
        """Foundry Local's model cache (and the local registration index) for this process."""
        return Path(self._manager.config.model_cache_dir or models_dir())

    @property
    def logs_dir(self) -> Path:
        return Path(self._manager.config.logs_dir or data_dir())

    # ---- catalog ------------------------------------------------------------------------

    def catalog_status(self) -> CatalogStatus:
        """State of the background public-catalog fetch (never blocks)."""
        return _public.status

    def wait_for_catalog(self, timeout: float | None = None) -> CatalogStatus:
        """Start the public-catalog fetch if needed and wait for it (CLI and tests; not the UI)."""
        _public.wait(timeout)
        return _public.status

    def _public_catalog(self):
        return self._manager.get_catalog(CatalogType.PUBLIC)

    def list_models(self) -> list[ModelEntry]:
        """Registered, cached and loaded models, plus the public catalog once fetched. Never blocks."""
        _public.start()
        snapshot = _public.snapshot
        try:
            local_models = [v for m in self._local.list_models() for v in m.variants]
            loaded = {m.id for m in self._local.get_loaded_models()}
            cached = {m.id for m in self._local.get_cached_models()}
            public_cached: list[IModel] = []
            if snapshot is not None:
                public = self._public_catalog()
                public_cached = public.get_cached_models()
                loaded |= {m.id for m in public.get_loaded_models()}
                cached |= {m.id for m in public_cached}
        except FoundryLocalException as exc:
            raise EngineError(f"Listing Foundry Local models failed: {exc}") from exc

        entries: dict[str, ModelEntry] = {}
        for model in [*local_models, *public_cached]:
            model_id = model.id
            if model_id in entries:
                continue
            state = "loaded" if model_id in loaded else "cached" if model_id in cached else "available"
            entries[model_id] = _entry_from_model(model, state, self._sizes)
        if snapshot is not None:
            for model_id, entry in snapshot.entries.items():
                if model_id in entries:
                    continue
                state = "loaded" if model_id in loaded else "cached" if model_id in cached else "available"
                entries[model_id] = entry if state == "available" else _replace_state(entry, state)
        return list(entries.values())

    def _find(self, model_id: str) -> IModel:
        """The variant handle for an id: local catalog first, then the fetched public catalog."""
        try:
            model = self._local.get_model_variant(model_id)
        except (FoundryLocalException, ValueError) as exc:
            raise EngineError(f"Looking up {model_id!r} in Foundry Local failed: {exc}") from exc
        if model is not None:
            return model
        # Not registered locally: it can only be a public-catalog variant. Outside the UI thread
        # it is fine to wait for the fetch (offline it ends at once: see catalog_reachable).
        _public.wait(timeout=60)
        snapshot = _public.snapshot
        if snapshot is not None and model_id in snapshot.variants:
            return snapshot.variants[model_id]
        known = sorted(m.model_id for m in self.list_models())
        shown = ", ".join(known[:30]) + (f", ... ({len(known)} in all)" if len(known) > 30 else "")
        raise ModelNotFound(
            f"Foundry Local has no model {model_id!r}. Known models: {shown or 'none'}. "
            f"({_public.status.message}.) Register a folder or run 'python cli.py models prepare-default'."
        )

    def _runtime(self, model: IModel) -> tuple[str | None, str | None]:
        info = model.info
        device = info.runtime.device_type.value if info.runtime and info.runtime.device_type else None
        ep = info.runtime.execution_provider if info.runtime and info.runtime.execution_provider else None
        if device is None or ep is None:
            genai_device, genai_ep = _genai_device(model.get_path())
            device, ep = device or genai_device, ep or genai_ep
        return device, ep

    # ---- lifecycle ----------------------------------------------------------------------

    def prepare(
        self,
        model_id: str,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Download a public-catalog model into the cache; a no-op for registered or cached ones."""
        model = self._find(model_id)
        if model.info.provider_type == LOCAL_PROVIDER and not model.is_cached:
            raise _missing_folder(model_id)
        if model.info.provider_type == LOCAL_PROVIDER or model.is_cached:
            if progress:
                progress(100.0)
            return
        try:
            model.download(progress_callback=progress, cancel_event=cancel)
        except FoundryLocalException as exc:
            if cancel is not None and cancel.is_set():
                raise EngineError(f"Download of {model_id} was cancelled.") from exc
            raise EngineError(
                f"Downloading {model_id} failed: {exc}. Check the network and free disk space, then retry."
            ) from exc
        if cancel is not None and cancel.is_set() and not model.is_cached:
            raise EngineError(f"Download of {model_id} was cancelled.")

    def load(self, model_id: str) -> LoadResult:
        """Load into memory, timed with ``perf_counter``; ``already_loaded`` if it was."""
        model = self._find(model_id)
        if model.is_loaded:
            device, ep = self._runtime(model)
            return LoadResult(0.0, device, ep, already_loaded=True)
        if not model.is_cached:
            if model.info.provider_type == LOCAL_PROVIDER:
                raise _missing_folder(model_id)
            raise EngineError(f"{model_id} is not downloaded yet: prepare (download) it before loading.")
        started = time.perf_counter()
        try:
            model.load()
        except FoundryLocalException as exc:
            raise _sdk_error("Loading", model_id, exc) from exc
        seconds = time.perf_counter() - started
        device, ep = self._runtime(model)
        return LoadResult(seconds, device, ep)

    def unload(self, model_id: str) -> None:
        model = self._find(model_id)
        if not model.is_loaded:
            return
        try:
            model.unload()
        except FoundryLocalException as exc:
            raise _sdk_error("Unloading", model_id, exc) from exc

    def is_loaded(self, model_id: str) -> bool:
        return self._find(model_id).is_loaded

    def is_cached(self, model_id: str) -> bool:
        """On this machine already: ``prepare`` would not download anything."""
        model = self._find(model_id)
        return model.info.provider_type == LOCAL_PROVIDER or model.is_cached

    def family(self, model_id: str) -> str | None:
        """The alias the variant shares with its other variants (one per device or execution provider)."""
        return self._find(model_id).info.alias or None

    def model_path(self, model_id: str) -> Path | None:
        """The model's folder on disk (``None`` when not downloaded)."""
        model = self._find(model_id)
        path = model.get_path() if (model.info.provider_type == LOCAL_PROVIDER or model.is_cached) else ""
        return Path(path) if path else None

    def disk_mb(self, model_id: str) -> float | None:
        """Megabytes the model's files take on disk (sum of file sizes under its folder)."""
        path = self.model_path(model_id)
        size = _folder_mb(path) if path else None
        if size is None:
            size_mb = self._find(model_id).info.file_size_mb
            return float(size_mb) if size_mb else None
        return size

    def license_of(self, model_id: str) -> str | None:
        """The license the catalog lists for the model (a registered folder's, or the public catalog's)."""
        return self._find(model_id).info.license or None

    def context_facts(self, model_id: str) -> ContextFacts:
        """The context length the model loads with and the KV cache it implies (``_genai_context``)."""
        return _genai_context(self.model_path(model_id))

    # ---- bring your own model -----------------------------------------------------------

    def register_folder(
        self,
        path: str | os.PathLike[str],
        model_id: str,
        display_name: str | None = None,
        license: str | None = None,
        *,
        task: str = "chat-completion",
        replace: bool = False,
    ) -> ModelEntry:
        """Register an ONNX Runtime GenAI folder in the local catalog (persists across runs).

        Idempotent for the same folder. ``replace=True`` re-points an id registered elsewhere.
        """
        folder = Path(path).expanduser()
        if not MODEL_ID_RE.match(model_id or ""):
            raise EngineError(
                f"Model id {model_id!r} must look like NAME:VERSION (letters, digits, '.', '_', '-', "
                "then a colon and a whole number), e.g. 'my-model:1'."
            )
        if task not in REGISTER_TASKS:
            raise EngineError(f"Task {task!r} is not one Foundry Local knows: {', '.join(sorted(REGISTER_TASKS))}.")
        if not folder.exists():
            raise EngineError(f"Folder {folder} does not exist.")
        if not folder.is_dir():
            raise EngineError(f"{folder} is a file; give the folder that holds the model's genai_config.json.")
        folder = folder.resolve()
        genai = folder / "genai_config.json"
        if not genai.is_file():
            raise EngineError(
                f"{folder} has no genai_config.json, so it is not an ONNX Runtime GenAI model folder. "
                "Convert the model first (python -m onnxruntime_genai.models.builder, or Olive)."
            )
        try:
            json.loads(genai.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise EngineError(f"{genai} is not valid JSON ({exc}).") from exc
        if task in CHAT_TASKS:
            problem = _chat_template_problem(folder)
            if problem:
                raise EngineError(problem)

        existing = self._local.get_model_variant(model_id)
        if existing is not None:
            existing_path = Path(existing.get_path()).resolve() if existing.get_path() else None
            if existing_path == folder:
                return self._entry(existing)
            if existing_path is not None and not replace:  # None: its folder is gone, re-point it
                raise EngineError(
                    f"{model_id} is already registered for {existing_path}. Unregister it first, or "
                    "register this folder under another version (e.g. bump ':1' to ':2')."
                )
            self.unregister(model_id)

        device, ep = _genai_device(folder)
        try:
            with ModelInfoBuilder() as metadata:
                metadata.set_string_property("task", task)
                metadata.set_string_property("display_name", display_name or model_id)
                if license:
                    metadata.set_string_property("license", license)
                if ep == _CPU[1]:
                    # Matches genai_config.json, so it overrides nothing; makes listings say CPU.
                    metadata.set_string_property("execution_provider", ep)
                    metadata.set_string_property("device_type", device or "CPU")
                model = self._local.register_model(str(folder), model_id, metadata)
        except (FoundryLocalException, ValueError) as exc:
            raise EngineError(f"Registering {folder} as {model_id} failed: {exc}") from exc
        self._sizes.pop(str(folder), None)
        return self._entry(model)

    def registered_folder(self, model_id: str) -> Path | None:
        """The folder ``model_id`` is registered for in the local catalog; None when it is not registered there
        (never waits for the public catalog)."""
        try:
            model = self._local.get_model_variant(model_id)
        except (FoundryLocalException, ValueError) as exc:
            raise EngineError(f"Looking up {model_id!r} in Foundry Local failed: {exc}") from exc
        return Path(model.get_path()) if model is not None and model.get_path() else None

    def unregister(self, model_id: str) -> None:
        """Remove a folder registration (unloading first); the files are left alone."""
        model = self._local.get_model_variant(model_id)
        if model is None:
            self._find(model_id)  # raises ModelNotFound when it is nowhere
            raise EngineError(f"{model_id} comes from the public catalog; only registered folders can be unregistered.")
        if model.is_loaded:
            self.unload(model_id)
        try:
            self._local.unregister_model(model_id)
        except FoundryLocalException as exc:
            raise _sdk_error("Unregistering", model_id, exc) from exc

    def _entry(self, model: IModel) -> ModelEntry:
        state = "loaded" if model.is_loaded else "cached" if model.is_cached else "available"
        return _entry_from_model(model, state, self._sizes)

    # ---- inference ----------------------------------------------------------------------

    def stream_chat(self, model_id: str, messages: list[dict[str, str]], params: ChatParams) -> Iterator[StreamEvent]:
        """Stream a chat completion on a fresh session; loads the model first if needed.

        The benchmark runner loads explicitly (to time it); an implicit load here keeps ad-hoc
        chats working and its cost lands in the first token's latency.
        """
        items = _message_items(messages)
        model = self._find(model_id)
        if not model.is_loaded:
            self.load(model_id)
        options = RequestOptions(
            search=SearchOptions(
                temperature=params.temperature,
                max_output_tokens=params.max_output_tokens,
                seed=params.seed,
            ),
            additional_options=_guidance(params.json_schema),
        )
        return self._stream(model, model_id, items, options, params.timeout_s, params.json_schema is not None)

    def _stream(
        self,
        model: IModel,
        model_id: str,
        items: list[MessageItem],
        options: RequestOptions,
        timeout_s: float,
        constrained: bool,
    ) -> Iterator[StreamEvent]:
        timed_out = threading.Event()
        timer: threading.Timer | None = None
        perf_counter = time.perf_counter
        text_type = TextItem
        reasoning = TextItemType.REASONING
        try:
            with ChatSession(model) as session, Request() as request:
                session.set_options(options)
                session.set_streaming(True)
                for item in items:
                    request.add_item(item)

                def _on_timeout() -> None:
                    timed_out.set()
                    with contextlib.suppress(Exception):
                        request.cancel()

                if timeout_s and timeout_s > 0:
                    timer = threading.Timer(timeout_s, _on_timeout)
                    timer.daemon = True
                    timer.start()
                with session.process_streaming_request(request) as stream:
                    # Hot loop: measured against a bare SDK loop, keep it minimal.
                    for item in stream:
                        if type(item) is text_type:
                            text = item.text
                            if text:
                                yield TextDelta(text, perf_counter(), item.type is reasoning)
                    ended = perf_counter()
                    if timed_out.is_set():
                        raise _timeout(model_id, timeout_s)
                    with stream.final_response as final:
                        reason = final.finish_reason
                        usage = final.get_usage()
                yield StreamEnd(
                    at=ended,
                    finish_reason=None if reason.value == 0 else reason.name.lower(),
                    prompt_tokens=usage.prompt_tokens,
                    completion_tokens=usage.completion_tokens,
                    token_source="engine",
                    constrained=constrained,
                )
        except FoundryLocalException as exc:
            if timed_out.is_set():
                raise _timeout(model_id, timeout_s) from exc
            raise _sdk_error("Generating with", model_id, exc) from exc
        except ValueError as exc:  # e.g. task validation in ChatSession
            raise EngineError(f"{model_id} cannot chat: {exc}") from exc
        finally:
            if timer is not None:
                timer.cancel()


_engine_lock = threading.Lock()
_engine: FoundryLocalEngine | None = None


def get_foundry_engine() -> FoundryLocalEngine:
    """The process-wide engine (starts the manager and the background public-catalog fetch).

    Raises ``EngineError`` when Foundry Local cannot start.
    """
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = FoundryLocalEngine(start_catalog_fetch=True)
        return _engine


def _missing_folder(model_id: str) -> EngineError:
    return EngineError(
        f"The folder registered as {model_id} is missing or incomplete (no genai_config.json). "
        "Register the folder again (or run 'python cli.py models prepare-default' for the default "
        "model), or unregister it."
    )


def _timeout(model_id: str, timeout_s: float) -> EngineTimeout:
    return EngineTimeout(
        f"{model_id} did not finish within {timeout_s:g} s, so the request was cancelled. "
        "Raise the timeout or lower max_output_tokens."
    )


def _guidance(json_schema: dict[str, Any] | None) -> dict[str, str]:
    """Request options that constrain generation to ``json_schema`` (none without one).

    Foundry Local's guidance (llguidance) lets JSON carry any whitespace between tokens by default,
    and a model poor at JSON spends its whole token budget on it: measured with the tests' tiny random
    model, 200 tokens of blanks and no closing brace. ``whitespace_flexible: false`` allows none, so
    the object closes within a few tokens of its content."""
    if json_schema is None:
        return {}
    schema = {**json_schema, "x-guidance": {"whitespace_flexible": False}}
    return {"guidance_type": "json_schema", "guidance_data": json.dumps(schema)}


def _message_items(messages: list[dict[str, str]]) -> list[MessageItem]:
    if not messages:
        raise EngineError("A chat needs at least one message.")
    items: list[MessageItem] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        content = message.get("content")
        factory = _ROLE_FACTORIES.get(role or "")
        if factory is None:
            raise EngineError(f"Message {index} has role {role!r}; Foundry Local takes {', '.join(_ROLE_FACTORIES)}.")
        if not isinstance(content, str):
            raise EngineError(f"Message {index} ({role}) needs text content, got {type(content).__name__}.")
        items.append(factory(content))
    return items


def _replace_state(entry: ModelEntry, state: str) -> ModelEntry:
    from dataclasses import replace

    return replace(entry, state=state)  # type: ignore[arg-type]
