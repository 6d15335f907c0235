"""OpenAI-compatible endpoints: Ollama, vLLM, llama.cpp server, Foundry Local's web service, Azure OpenAI.

The chat stream is read as raw Server-Sent Events over ``httpx2`` (the transport the ``openai``
package itself uses) and parsed with ``orjson``, not through the ``openai`` client. Measured
in-process against ``tests/fake_openai_server.py``: the client's per-chunk pydantic parsing caps it
at ~2,300-3,300 chunks/s and stamps deltas ~0.4-1 ms after the server wrote them, leaving little
headroom at the 2,000 tok/s the benchmark must time to within 1%; this loop sustains ~8,000-11,000
chunks/s, stamps ~0.13 ms (2,000 tok/s) to ~0.5 ms (20 tok/s) after the write, and its tokens/s
matches a bare ``iter_lines`` + ``json.loads`` loop to within 0.02%.

Base URLs: a URL with no path gets ``/v1`` appended (``http://127.0.0.1:11434`` is Ollama's
``/v1``), since every local server mounts the API there; any explicit path is kept as given, so
Azure OpenAI's ``https://RESOURCE.openai.azure.com/openai/v1`` and proxies work unchanged.

Output budget: ``max_tokens`` is sent, because every local server understands it. A server that
rejects it in favour of ``max_completion_tokens`` (OpenAI/Azure reasoning models) gets a single
retry with that field instead; a server that rejects ``stream_options`` gets one retry without it.
What a server rejected is remembered per base URL and model, so later (measured) requests do not
pay for the failed attempt again.

Constrained replies: ``ChatParams.json_schema`` is sent as ``response_format: {"type": "json_schema",
"json_schema": {"name", "schema", "strict": true}}`` (vLLM, llama.cpp server, Ollama and Azure OpenAI
accept it). A server that refuses it (HTTP 400/422 naming ``response_format`` or ``json_schema``) gets
one retry without it, remembered like the fields above, and ``StreamEnd.constrained`` is then false,
so the caller knows to parse the free text instead.

Secrets: a base URL carrying credentials (``http://user:password@host``) and a key typed where the
*name* of its environment variable belongs are refused at entry, without echoing them. An endpoint
stored before these checks still builds an engine (so listings and runs can say what is wrong) but
it shows only its redacted URL (``core.redaction.redact_url``) and refuses every request with
``EngineMisconfigured`` until it is added again: its credentials are never sent nor shown.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx2
import orjson

from core.engines.base import (
    ChatParams,
    EngineError,
    EngineMisconfigured,
    EngineTimeout,
    EngineUnreachable,
    LoadResult,
    ModelEntry,
    ModelNotFound,
    ProgressCallback,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from core.engines.chat_chunk import ChatChunk, MalformedChunk, Usage, parse_chunk
from core.redaction import looks_like_secret, redact_url
from core.refs import FOUNDRY_SOURCE

KeyResolver = Callable[[str], "str | None"]

API_KEY_PLACEHOLDER = "not-needed"  # keyless servers (Ollama, llama.cpp) ignore it; some clients insist
LIST_TIMEOUT_S = 10.0  # listing models must never hold up a page for long
_EXCERPT_CHARS = 200
_NAME_MAX = 64
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ENV_NAME_MAX = 128
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Request fields some servers refuse, and what to send instead (None: drop it).
_FALLBACKS: dict[str, str | None] = {"stream_options": None, "max_tokens": "max_completion_tokens",
                                     "response_format": None}
_SCHEMA_NAME = "reply"  # response_format needs a name; the schema itself says what it is
_REJECTED: dict[tuple[str, str], frozenset[str]] = {}  # (base_url, model) -> fields the server refused


def validate_endpoint_name(name: str) -> str:
    """Check an endpoint name usable as the ``SOURCE`` of ``SOURCE:MODEL_ID``; return it stripped.

    Short and plain (1-64 of ``[A-Za-z0-9._-]``, starting with a letter or digit) because it shows up
    in every table, file name and command line; a long name is not echoed whole."""
    name = name.strip()
    if not name:
        raise ValueError("Endpoint name is empty: give a short name such as 'my-ollama'.")
    if len(name) > _NAME_MAX:
        raise ValueError(f"Endpoint name is {len(name)} characters long: use at most {_NAME_MAX}, e.g. 'my-ollama'.")
    if ":" in name:
        raise ValueError(
            f"Endpoint name {name!r} must not contain ':' - it separates source from model in "
            "references like 'my-ollama:llama3.2'."
        )
    if not _NAME_RE.fullmatch(name):
        raise ValueError(
            f"Endpoint name {name!r} may only use letters, digits, '.', '-' and '_', and must start "
            "with a letter or digit."
        )
    if name.lower() == FOUNDRY_SOURCE:
        raise ValueError(f"{FOUNDRY_SOURCE!r} is reserved for the built-in Foundry Local source.")
    return name


def validate_api_key_env(name: str) -> str:
    """Check the NAME of the environment variable holding an endpoint's key; return it stripped.

    People paste the key itself here; stored, it would then be printed back in listings and in the
    401 hint. So anything that is not a plain variable name, or looks like a key, is refused, and the
    message never repeats the value."""
    name = name.strip()
    if len(name) > _ENV_NAME_MAX or not _ENV_NAME_RE.fullmatch(name) or looks_like_secret(name):
        raise ValueError(
            "The API key setting must be the NAME of an environment variable (letters, digits and '_', "
            "e.g. AZURE_OPENAI_API_KEY), never the key itself: put the key in such a variable and give its name."
        )
    return name


def validate_base_url(url: str) -> str:
    """Check an endpoint base URL and return it normalised (no trailing '/', ``/v1`` if no path).

    Messages show the URL through ``redact_url`` only: a refused URL may be refused for its secrets."""
    url = url.strip()
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValueError(f"Base URL {shown!r} is not a valid URL (check the host and port).") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"Base URL {shown!r} must start with http:// or https:// and name a host, e.g. 'http://127.0.0.1:11434/v1'."
        )
    if "@" in parts.netloc:
        raise ValueError(
            f"Base URL {shown!r} must not carry a user name or password: remove them and put the key in an "
            "environment variable named with --api-key-env ('API key environment variable' in the app)."
        )
    if parts.query or parts.fragment:
        raise ValueError(f"Base URL {shown!r} must not carry a query or fragment; give the API root only.")
    path = parts.path.rstrip("/") or "/v1"
    return f"{parts.scheme}://{parts.netloc}{path}"


@functools.cache
def _http() -> httpx2.Client:
    """One pooled client for every endpoint engine: engines are cheap and re-created freely, while
    connections (and TLS handshakes, which would land in a measured time-to-first-token) are not."""
    return httpx2.Client(follow_redirects=False)


class OpenAICompatibleEngine:
    """An ``Engine`` over any server speaking the OpenAI chat-completions API.

    ``api_key_env`` is the *name* of the environment variable holding the key; the value is looked up
    through ``key_resolver`` on every request and never kept, logged or put in a message.

    Settings that fail validation (an endpoint stored by an older version) do not raise here: the
    engine keeps the reason in ``problem`` and every request raises ``EngineMisconfigured`` with it,
    so the source is listed and runs record why it cannot be used. ``base_url`` is always redacted.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key_env: str | None = None,
        *,
        key_resolver: KeyResolver = os.environ.get,
    ) -> None:
        self.source = name.strip()
        self.base_url = redact_url(base_url.strip())
        self.api_key_env: str | None = None
        self.problem: str | None = None
        try:
            validate_endpoint_name(name)
            self.base_url = validate_base_url(base_url)
            self.api_key_env = validate_api_key_env(api_key_env) if api_key_env else None
        except ValueError as exc:
            self.problem = (
                f"Endpoint {self.source!r} was stored with settings now refused; remove it and add it again: {exc}"
            )
        self._key_resolver = key_resolver
        _http()  # the first client costs ~0.1 s (TLS context): pay it here, not inside a timed request

    def __repr__(self) -> str:
        return f"OpenAICompatibleEngine({self.source!r}, {self.base_url!r}, api_key_env={self.api_key_env!r})"

    # -- Engine protocol -------------------------------------------------------------------------

    def list_models(self) -> list[ModelEntry]:
        """``GET /models``; every id the server reports, as a remote model of this source."""
        response = self._send(self._request("GET", "/models", LIST_TIMEOUT_S), stream=False)
        if response.status_code != 200:
            raise self._status_error(response.status_code, response.text)
        try:
            ids = [str(item["id"]) for item in orjson.loads(response.content)["data"]]
        except (ValueError, KeyError, TypeError):
            raise EngineError(
                f"{self.base_url}/models did not return an OpenAI-style model list; "
                "check that the URL points at the API root (usually ending in /v1)."
            ) from None
        return [ModelEntry(source=self.source, model_id=model_id, state="remote") for model_id in ids]

    def prepare(
        self,
        model_id: str,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Nothing to download: the server owns its models."""

    def load(self, model_id: str) -> LoadResult:
        """Nothing to load, but fail early on a model id the server says it does not have."""
        available = self._listed_ids()
        if available and model_id not in available:
            raise ModelNotFound(
                f"{self.source} ({self.base_url}) has no model {model_id!r}. Available: {', '.join(available)}."
            )
        return LoadResult(seconds=0.0, device=None, execution_provider=None, already_loaded=True)

    def unload(self, model_id: str) -> None:
        """Nothing to release: the server manages its own memory."""

    def stream_chat(self, model_id: str, messages: list[dict[str, str]], params: ChatParams) -> Iterator[StreamEvent]:
        """Stream a chat completion: stamped ``TextDelta`` events, then exactly one ``StreamEnd``.

        ``params.timeout_s`` bounds connecting, every gap between chunks and the whole request.
        """
        deadline = time.perf_counter() + params.timeout_s
        response, constrained = self._open_stream(model_id, messages, params, deadline)
        with contextlib.closing(response), _hard_deadline(response, deadline):
            try:
                yield from self._read_stream(response, deadline, constrained)
            except httpx2.TransportError as exc:
                raise self._stream_failure(exc, deadline, params.timeout_s) from None

    # -- requests --------------------------------------------------------------------------------

    def _request(self, method: str, path: str, timeout_s: float, body: Any = None) -> httpx2.Request:
        """Every request is built here, so an endpoint with a ``problem`` never sends anything."""
        if self.problem is not None:
            raise EngineMisconfigured(self.problem)
        content = None if body is None else orjson.dumps(body)
        return _http().build_request(
            method,
            self.base_url + path,
            content=content,
            headers={"Authorization": f"Bearer {self._api_key()}", "Content-Type": "application/json"},
            timeout=httpx2.Timeout(timeout_s),
        )

    def _api_key(self) -> str:
        return (self._key_resolver(self.api_key_env) if self.api_key_env else None) or API_KEY_PLACEHOLDER

    def _send(self, request: httpx2.Request, *, stream: bool) -> httpx2.Response:
        """Send, turning transport failures into actionable engine errors."""
        try:
            return _http().send(request, stream=stream)
        except httpx2.ConnectError:
            raise EngineUnreachable(
                f"Could not reach {self.base_url} - is the server running? Check the URL, the port "
                "and that the server listens on this address."
            ) from None
        except httpx2.TimeoutException as exc:
            raise EngineTimeout(
                f"{self.base_url} did not answer within {round(request.extensions['timeout']['read'], 1):g} s "
                f"({type(exc).__name__}). Check that the server is up and not overloaded."
            ) from None
        except httpx2.TransportError as exc:
            raise EngineError(f"Request to {self.base_url} failed: {exc or type(exc).__name__}.") from None

    def _open_stream(
        self, model_id: str, messages: list[dict[str, str]], params: ChatParams, deadline: float
    ) -> tuple[httpx2.Response, bool]:
        """Start the streaming request, retrying without each field the server refuses (once each);
        each attempt gets only the time left before ``deadline``. Also says whether the request that
        was accepted carried the reply's ``response_format`` constraint."""
        key = (self.base_url, model_id)
        rejected = _REJECTED.get(key, frozenset())
        while True:
            body = _chat_body(model_id, messages, params, rejected)
            time_left = max(deadline - time.perf_counter(), 0.001)
            response = self._send(self._request("POST", "/chat/completions", time_left, body), stream=True)
            if response.status_code == 200:
                _REJECTED[key] = rejected
                return response, "response_format" in body
            with contextlib.closing(response):
                text = response.read().decode(errors="replace")
            refused = _refused_field(response.status_code, text, rejected)
            if refused is None:
                raise self._status_error(response.status_code, text, model_id)
            rejected |= {refused}

    def _read_stream(self, response: httpx2.Response, deadline: float, constrained: bool) -> Iterator[StreamEvent]:
        """Parse SSE lines into events; ``at`` is stamped the moment a line is available."""
        finish_reason: str | None = None
        usage: Usage | None = None
        chunks = 0
        done = False
        for line in response.iter_lines():
            at = time.perf_counter()
            if at > deadline:
                raise httpx2.ReadTimeout("deadline passed")  # safety net where no watchdog could arm
            if not line.startswith("data:"):
                continue  # blank separators, ": keep-alive" comments, "event:" lines
            data = line[5:].strip()
            if data == "[DONE]":
                done = True
                break
            chunk = self._parse_chunk(data)
            for choice in chunk.choices:
                if choice.reasoning:
                    chunks += 1
                    yield TextDelta(choice.reasoning, at, reasoning=True)
                if choice.content:
                    chunks += 1
                    yield TextDelta(choice.content, at)
                finish_reason = choice.finish_reason or finish_reason
            usage = chunk.usage or usage
        if not done and finish_reason is None:
            raise httpx2.RemoteProtocolError("the stream ended without a finish reason or [DONE]")
        yield _stream_end(finish_reason, usage, chunks, constrained)

    def _parse_chunk(self, data: str) -> ChatChunk:
        """A checked chunk; a malformed one fails this request only, with what was wrong and an excerpt."""
        try:
            chunk = parse_chunk(data)
        except MalformedChunk as exc:
            raise EngineError(
                f"The server at {self.base_url} sent a malformed stream chunk ({exc}): {self._excerpt(data)}. "
                "Check that it speaks the OpenAI chat-completions streaming format."
            ) from None
        if chunk.error is not None:
            raise EngineError(f"{self.base_url} reported an error mid-stream: {self._excerpt(chunk.error)}")
        return chunk

    def _listed_ids(self) -> list[str]:
        """Model ids the server lists; empty when it cannot list them (then nothing is checked)."""
        try:
            return [entry.model_id for entry in self.list_models()]
        except (EngineUnreachable, EngineMisconfigured):
            raise
        except EngineError:
            return []

    # -- error messages --------------------------------------------------------------------------

    def _status_error(self, status: int, body: str, model_id: str | None = None) -> EngineError:
        excerpt = self._excerpt(body)
        if status in (401, 403):
            return EngineError(f"{self.base_url} refused the request (HTTP {status}: {excerpt}). {self._key_hint()}")
        if status == 404 and model_id is not None and "model" in body.lower():
            return ModelNotFound(f"{self.source} ({self.base_url}) has no model {model_id!r}: {excerpt}")
        hint = " Check that the base URL is the API root (usually ending in /v1)." if status == 404 else ""
        return EngineError(f"{self.base_url} answered HTTP {status}: {excerpt}{hint}")

    def _key_hint(self) -> str:
        if self.api_key_env is None:
            return (
                "This endpoint needs an API key: edit the endpoint and give the name of the "
                "environment variable that holds it."
            )
        state = "is set" if self._key_resolver(self.api_key_env) else "is not set"
        return f"Set the environment variable {self.api_key_env} to a valid key (it {state} now)."

    def _excerpt(self, text: str) -> str:
        """A short one-line excerpt of a server's text for a message, with the key blanked out:
        servers may echo it back in an error body."""
        key = self._key_resolver(self.api_key_env) if self.api_key_env else None
        flat = " ".join((text.replace(key, "***") if key else text).split())
        return flat if len(flat) <= _EXCERPT_CHARS else flat[: _EXCERPT_CHARS - 1] + "…"

    def _stream_failure(self, exc: httpx2.TransportError, deadline: float, timeout_s: float) -> EngineError:
        """Why a started stream failed: its time limit (a silent gap always outlasts it too) or a cut."""
        if isinstance(exc, httpx2.TimeoutException) or time.perf_counter() >= deadline:
            return EngineTimeout(
                f"{self.base_url} did not finish its reply within {timeout_s:g} s, the request's time "
                "limit; the text received so far is kept. Raise the timeout, lower the output budget "
                "or check that the server is not stuck."
            )
        return EngineError(
            f"The stream from {self.base_url} was cut off mid-reply ({exc or type(exc).__name__}); "
            "the text received so far is kept. Check the server's log."
        )


def _chat_body(
    model_id: str, messages: list[dict[str, str]], params: ChatParams, rejected: frozenset[str]
) -> dict[str, Any]:
    """The request body, minus (or with the stand-in for) fields this server has refused."""
    body: dict[str, Any] = {
        "model": model_id,
        "messages": messages,
        "stream": True,
        "temperature": params.temperature,
        "max_tokens": params.max_output_tokens,
        "stream_options": {"include_usage": True},
    }
    if params.seed is not None:
        body["seed"] = params.seed
    if params.json_schema is not None:
        body["response_format"] = {"type": "json_schema", "json_schema": {
            "name": _SCHEMA_NAME, "schema": params.json_schema, "strict": True}}
    for field_name in rejected & body.keys():
        value = body.pop(field_name)
        if _FALLBACKS[field_name] is not None:
            body[_FALLBACKS[field_name]] = value
    return body


def _refused_field(status: int, body: str, rejected: frozenset[str]) -> str | None:
    """The field a 400/422 complains about, if it is one we know how to do without."""
    if status not in (400, 422):
        return None
    if "stream_options" not in rejected and "stream_options" in body:
        return "stream_options"
    if "max_tokens" not in rejected and "max_completion_tokens" in body:
        return "max_tokens"
    if "response_format" not in rejected and ("response_format" in body or "json_schema" in body):
        return "response_format"
    return None


def _stream_end(finish_reason: str | None, usage: Usage | None, chunks: int, constrained: bool) -> StreamEnd:
    """Server usage when sent; otherwise the documented estimate: one token per non-empty chunk."""
    at = time.perf_counter()
    if usage is not None and usage.completion_tokens is not None:
        return StreamEnd(at, finish_reason, usage.prompt_tokens, usage.completion_tokens, "engine", constrained)
    return StreamEnd(at, finish_reason, None, chunks, "chunks", constrained)


@contextlib.contextmanager
def _hard_deadline(response: httpx2.Response, deadline: float) -> Iterator[None]:
    """Shut the socket down at ``deadline`` so a server that keeps dribbling still ends on time.

    Per-read timeouts cannot do this (every gap is short) and closing a socket does not wake a
    thread blocked reading it; ``shutdown`` does, and the read then fails with a transport error.
    """
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    timer = threading.Timer(max(0.0, deadline - time.perf_counter()), _shutdown, (sock,)) if sock else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
