"""Where models come from: Foundry Local in-process, Foundry Local's web service when there is one
(``core.models.foundry_service``), and every OpenAI-compatible endpoint in the store.

Endpoints are stored by name (the ``SOURCE`` half of a model reference) with the *name* of the
environment variable holding their key, never the key. ``Sources`` resolves a ``SOURCE:MODEL_ID``
reference to the engine that serves it.

``list_endpoints`` is what the pages and the CLI show: each endpoint as its engine sees it, with the
URL redacted and, for one stored by an older version with credentials in it, the ``problem`` that
keeps it from being used. Only ``Sources`` reads the stored documents themselves.

``Sources.check_sources`` refuses a models.json naming a source nobody knows before any run is created;
``BackgroundListings`` lists every source in threads, kept 30 s, so a hanging endpoint never holds a page.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from core.engines.base import Engine, EngineError, ModelEntry
from core.engines.openai_compatible import (
    OpenAICompatibleEngine,
    validate_api_key_env,
    validate_base_url,
    validate_endpoint_name,
)
from core.jobs import utc_now
from core.models.foundry_service import service_engine
from core.redaction import REDACTED, looks_like_secret, redact_url
from core.refs import FOUNDRY_SERVICE_SOURCE, FOUNDRY_SOURCE, ModelRef, parse_ref
from store import Store, StoreError, queries
from store.records import Endpoint, Table

KeyResolver = Callable[[str], "str | None"]


def add_endpoint(store: Store, name: str, base_url: str, api_key_env: str | None = None) -> Endpoint:
    """Validate and store an endpoint (normalised). Raises ``ValueError`` with a message fit for the user
    that never repeats a credential: a URL with userinfo or a key given as the variable name is refused."""
    name = validate_endpoint_name(name)
    base_url = validate_base_url(base_url)
    api_key_env = validate_api_key_env(api_key_env) if api_key_env and api_key_env.strip() else None
    with store.transaction():
        if store.find(Table.ENDPOINTS, name=name):
            raise ValueError(f"An endpoint named {name!r} already exists: remove it first or pick another name.")
        endpoint = Endpoint(name=name, base_url=base_url, api_key_env=api_key_env, created_at=utc_now())
        queries.insert(store, endpoint)
    return endpoint


def edit_endpoint(store: Store, name: str, base_url: str | None = None, api_key_env: str | None = None) -> Endpoint:
    """Change a stored endpoint's URL and/or key variable (None: keep it; ``""`` as ``api_key_env``: no key),
    with the same validation as ``add_endpoint``. Raises ``ValueError`` with a sentence for the user."""
    with store.transaction():
        found = queries.first(store, Endpoint, name=name)
        if found is None:
            raise ValueError(f"No endpoint named {name!r}: see 'python cli.py endpoints list'.")
        fields: dict[str, str | None] = {}
        if base_url is not None:
            fields["base_url"] = validate_base_url(base_url)
        if api_key_env is not None:
            fields["api_key_env"] = validate_api_key_env(api_key_env) if api_key_env.strip() else None
        if fields:
            queries.update(store, Endpoint, found.stored_id, fields)
    return queries.first(store, Endpoint, name=name) or found


def remove_endpoint(store: Store, name: str) -> bool:
    return store.remove_where(Table.ENDPOINTS, name=name) > 0


def _stored_endpoints(store: Store) -> list[Endpoint]:
    """The stored endpoints, after scrubbing credentials an older version stored in them."""
    _scrub_stored_secrets(store)
    return sorted(queries.find(store, Endpoint), key=lambda e: e.name)


def _scrub_stored_secrets(store: Store) -> None:
    """Rewrite, in place, endpoints an older version stored with a password in the URL or a key as the
    variable name: the store file must not keep a secret in plain text (bundles and backups copy it).

    The scrubbed endpoint keeps its ``problem`` (its URL still shows ``***@``), so it stays unusable until
    the user adds it again the right way. A read-only store is left as it is: the secret is still never
    shown or sent, and the next writable start scrubs it."""
    dirty = [(endpoint.stored_id, _scrubbed(endpoint)) for endpoint in queries.find(store, Endpoint)]
    dirty = [(doc_id, fields) for doc_id, fields in dirty if fields]
    if not dirty:
        return
    with contextlib.suppress(StoreError), store.transaction():
        for doc_id, fields in dirty:
            queries.update(store, Endpoint, doc_id, fields)


def _scrubbed(endpoint: Endpoint) -> dict[str, str]:
    """The fields of a stored endpoint that hold a secret, with the secret removed ({} when clean)."""
    fields: dict[str, str] = {}
    if redact_url(endpoint.base_url) != endpoint.base_url:
        fields["base_url"] = redact_url(endpoint.base_url)
    if endpoint.api_key_env and looks_like_secret(endpoint.api_key_env):
        fields["api_key_env"] = REDACTED
    return fields


@dataclass(frozen=True)
class ListedEndpoint:
    """An endpoint fit to show: secrets redacted, and ``problem`` (why it cannot be used, one sentence)
    for one whose stored settings are refused."""

    name: str
    base_url: str
    api_key_env: str | None
    created_at: str | None
    problem: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """For ``--json``: the endpoint's fields, and ``problem`` only when there is one."""
        shown = asdict(self)
        return shown if self.problem else {k: v for k, v in shown.items() if k != "problem"}


def list_endpoints(store: Store) -> list[ListedEndpoint]:
    """Every endpoint as it would be used. Built from the engine each endpoint gets, so what is shown is
    exactly what would be used."""
    return [ListedEndpoint(e.name, engine.base_url, engine.api_key_env, e.created_at, engine.problem)
            for e in _stored_endpoints(store) for engine in [endpoint_engine(e)]]


def endpoint_engine(endpoint: Endpoint, key_resolver: KeyResolver | None = None) -> OpenAICompatibleEngine:
    """The engine for a stored endpoint (one whose settings are refused gets a ``problem``)."""
    kwargs = {"key_resolver": key_resolver} if key_resolver else {}
    return OpenAICompatibleEngine(name=endpoint.name, base_url=endpoint.base_url, api_key_env=endpoint.api_key_env,
                                  **kwargs)


@dataclass
class SourceListing:
    """One source's models, or the reason it could not list them (shown, never raised)."""

    source: str
    models: list[ModelEntry]
    error: str | None = None
    pending: bool = False  # still being listed in the background (``BackgroundListings``)


class Sources:
    """The engines available to this process: one Foundry Local engine and the stored endpoints.

    ``start_foundry`` (when ``foundry`` is None) starts Foundry Local the first time a model of it is asked for,
    so a process that only calls endpoints (a worker benchmarking endpoint models) never starts it."""

    def __init__(self, store: Store, foundry: Engine | None, key_resolver: KeyResolver | None = None, *,
                 start_foundry: Callable[[], Engine] | None = None) -> None:
        self._store = store
        self._foundry = foundry
        self._key_resolver = key_resolver
        self._start_foundry = start_foundry

    def _foundry_engine(self) -> Engine | None:
        if self._foundry is None and self._start_foundry is not None:
            start, self._start_foundry = self._start_foundry, None  # one attempt: a failure is not retried per call
            with contextlib.suppress(EngineError):
                self._foundry = start()
        return self._foundry

    def engine_for(self, source: str) -> Engine:
        if source == FOUNDRY_SOURCE:
            foundry = self._foundry_engine()
            if foundry is None:
                raise EngineError("Foundry Local is not available in this process (the SDK failed to start).")
            return foundry
        found = queries.first(self._store, Endpoint, name=source)
        if found is not None:  # a stored endpoint wins, even over the discovered Foundry Local service
            return endpoint_engine(found, self._key_resolver)
        service = service_engine() if source == FOUNDRY_SERVICE_SOURCE else None
        if service is None:
            raise EngineError(f"Unknown model source {source!r}. Known sources: {', '.join(self.known_sources())}.")
        return service

    def known_sources(self) -> list[str]:
        """Every source name a reference may use here: Foundry Local, the stored endpoints, and Foundry
        Local's web service when it is configured or answers (``core.models.foundry_service``)."""
        names = [FOUNDRY_SOURCE] + [e.name for e in _stored_endpoints(self._store)]
        if FOUNDRY_SERVICE_SOURCE not in names and service_engine() is not None:
            names.append(FOUNDRY_SERVICE_SOURCE)
        return names

    def check_sources(self, models: Iterable[tuple[str, str]]) -> None:
        """Refuse ``(alias, SOURCE:MODEL_ID)`` pairs (a models.json) naming an unknown source, before any run
        is created: ``ValueError`` with one sentence naming the alias, the source and the known ones."""
        known = self.known_sources()
        for alias, ref in models:
            source = parse_ref(ref).source
            if source not in known:
                raise ValueError(
                    f"Model {alias!r} uses the source {source!r}, which is not known here (known: {', '.join(known)}): "
                    f"add it with 'python cli.py endpoints add {source} --base-url URL' or fix the source.")

    def resolve(self, ref: str | ModelRef) -> tuple[Engine, str]:
        """Engine and model id for a ``SOURCE:MODEL_ID`` reference."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        return self.engine_for(parsed.source), parsed.model_id

    def engines(self) -> list[tuple[str, Engine | None]]:
        """Every source with its engine (None: Foundry Local could not start), in listing order."""
        engines: list[tuple[str, Engine | None]] = [(FOUNDRY_SOURCE, self._foundry_engine())]
        engines += [(e.name, endpoint_engine(e, self._key_resolver)) for e in _stored_endpoints(self._store)]
        if all(name != FOUNDRY_SERVICE_SOURCE for name, _ in engines) and (service := service_engine()):
            engines.append((FOUNDRY_SERVICE_SOURCE, service))
        return engines

    def listings(self) -> list[SourceListing]:
        """Every source's models; a source that fails reports its error instead of hiding the others."""
        return [list_source(name, engine) for name, engine in self.engines()]

    def key_environment(self, refs: Iterable[str]) -> dict[str, str]:
        """The API keys the endpoints behind ``refs`` need, by environment variable name, as this process resolves
        them (the app also reads Streamlit secrets): what a worker process, which sees only its environment, must
        be given. Unknown sources, Foundry Local and keys that are not set are left out (the request says so)."""
        keys: dict[str, str] = {}
        for source in {parse_ref(ref).source for ref in refs} - {FOUNDRY_SOURCE}:
            found = queries.first(self._store, Endpoint, name=source)
            engine = endpoint_engine(found, self._key_resolver) if found else None
            if engine is None or engine.problem or not engine.api_key_env:
                continue
            value = (self._key_resolver or os.environ.get)(engine.api_key_env)
            if value:
                keys[engine.api_key_env] = value
        return keys


def list_source(name: str, engine: Engine | None) -> SourceListing:
    """One source's listing, its failure as the listing's ``error``."""
    if engine is None:
        return SourceListing(name, [], "Foundry Local SDK is not available in this process.")
    try:
        return SourceListing(name, engine.list_models())
    except EngineError as exc:
        return SourceListing(name, [], str(exc))


def local_sources(store: Store) -> Sources:
    """The sources of a process that reads keys from its environment only (a worker, like the CLI), with
    Foundry Local started only when one of its models is used."""
    from core.engines.foundry_local import get_foundry_engine

    return Sources(store, None, start_foundry=get_foundry_engine)
