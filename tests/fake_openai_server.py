"""A real OpenAI-compatible streaming server with a known ground truth, for tests and timing checks.

Pickwise measures time-to-first-token and tokens/s, so its tests need a server whose timing is
*known*: this one schedules every content chunk against an absolute clock (no cumulative drift),
writes each chunk with one ``sendall`` on a ``TCP_NODELAY`` socket, and records its own
``time.perf_counter()`` when each chunk left. Server and client share a process, so the clocks
are directly comparable. Failure modes (HTTP errors, hangs, dropped connections, servers that
reject ``stream_options`` or ``response_format``, malformed stream chunks) are scenario knobs so
engine error handling is tested on real sockets.

    with FakeOpenAIServer(Scenario(n_tokens=50, token_interval_s=0.01)) as srv:
        engine = OpenAICompatibleEngine("fake", srv.base_url)
        ...
        srv.requests[0].content_sent_at  # ground truth
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_HOST = "127.0.0.1"
# Busy-wait this close to a deadline: sleep() alone overshoots by ~75-115 µs. Between chunks the spin
# is capped at a quarter of the interval, because a spinning server thread holds the GIL the
# in-process client needs to read the previous chunk: a 1 ms spin at 2,000 tok/s starved it (deltas
# stamped 20-380 ms late).
_SPIN_S = 0.001


@dataclass
class Scenario:
    """What the server does; every field is a knob a test can turn.

    ``tokens`` wins over ``n_tokens`` (which streams ``"t0 "``, ``"t1 "``, ...). The role chunk is
    sent at once; the first reasoning or content chunk ``ttft_s`` after the request arrived, the
    rest every ``token_interval_s`` after that. Usage is sent only when the client asked for it
    via ``stream_options`` (as OpenAI does) and ``include_usage`` is true.
    """

    models: list[str] = field(default_factory=lambda: ["fake-model"])
    tokens: list[str] | None = None
    n_tokens: int = 5
    reasoning_tokens: list[str] = field(default_factory=list)
    reasoning_field: str = "reasoning_content"
    ttft_s: float = 0.0
    token_interval_s: float = 0.0
    include_usage: bool = True
    prompt_tokens: int = 7
    finish_reason: str = "stop"
    status: int | None = None  # answer chat requests with this status and ``error_body`` instead
    error_body: str = '{"error": {"message": "internal failure in the fake server"}}'
    models_status: int | None = None  # same for GET /models
    required_api_key: str | None = None  # 401 unless "Authorization: Bearer <key>"
    # Foundry Local's service: ``GET /openai/load/{id}`` answers 200 (and adds the id to ``loaded``) when on
    foundry_load_route: bool = False
    loaded: list[str] = field(default_factory=list)
    hang: bool = False  # read the request, never answer
    drop_after: int | None = None  # close the socket after this many content chunks
    reject_stream_options: bool = False  # 400 when the request carries stream_options
    reject_max_tokens: bool = False  # 400 "use max_completion_tokens" when max_tokens is sent
    reject_response_format: bool = False  # 400 when the request asks for a json_schema response_format
    # Hostile mode: model id -> the raw ``data:`` payload sent after that model's first content chunk
    # (e.g. ``[1,2,3]`` or ``{"choices":"abc"}``); requests for other models stream normally.
    raw_chunk_by_model: dict[str, str] = field(default_factory=dict)

    @property
    def content_tokens(self) -> list[str]:
        return self.tokens if self.tokens is not None else [f"t{i} " for i in range(self.n_tokens)]


@dataclass
class RequestRecord:
    """Ground truth for one request, all times from this process's ``time.perf_counter()``.

    ``*_sent_at`` are taken just before the single ``sendall`` of each chunk. Stamping after it was
    biased late by up to ~150 µs: the server thread must win the GIL back from the in-process client,
    which is already handling that chunk.
    """

    method: str
    path: str
    headers: dict[str, str]
    received_at: float  # request line and headers parsed, body not yet read
    body: dict[str, Any] | None = None
    status: int | None = None
    reasoning_sent_at: list[float] = field(default_factory=list)
    content_sent_at: list[float] = field(default_factory=list)
    finished_at: float | None = None

    @property
    def prompt(self) -> str:
        """The concatenated message contents as the server received them."""
        messages = (self.body or {}).get("messages", [])
        return "\n".join(str(m.get("content", "")) for m in messages)


def sleep_until(deadline: float, spin_s: float = _SPIN_S) -> None:
    """Sleep until ``perf_counter() >= deadline``; busy-wait the last ``spin_s`` for precision."""
    remaining = deadline - time.perf_counter()
    if remaining > spin_s:
        time.sleep(remaining - spin_s)
    while time.perf_counter() < deadline:
        pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 with nothing listening (bound, read, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        return sock.getsockname()[1]


def down_base_url() -> str:
    """A ``/v1`` base URL where connections are refused: the "server is not running" case."""
    return f"http://{_HOST}:{free_port()}/v1"


def _sse(payload: dict[str, Any] | str) -> bytes:
    """One SSE event wrapped as one HTTP/1.1 chunk, so a single ``sendall`` delivers it whole."""
    data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    event = f"data: {data}\n\n".encode()
    return b"%x\r\n%s\r\n" % (len(event), event)


def _chunk(model: str, delta: dict[str, str], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked transfer: a dropped stream is detectably incomplete
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        self.server.untrack(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def do_GET(self) -> None:
        record = self._record()
        scenario = self.server.scenario
        if scenario.foundry_load_route and self.path.startswith("/openai/load/"):
            scenario.loaded.append(urllib.parse.unquote(self.path.removeprefix("/openai/load/").split("?")[0]))
            return self._send_json(record, 200, "")
        if self.path.rstrip("/") != "/v1/models":
            return self._send_json(record, 404, '{"error": {"message": "not found"}}')
        if not self._authorised(record):
            return None
        if scenario.models_status is not None:
            return self._send_json(record, scenario.models_status, scenario.error_body)
        models = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in scenario.models]
        return self._send_json(record, 200, json.dumps({"object": "list", "data": models}))

    def do_POST(self) -> None:
        record = self._record()
        record.body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        scenario = self.server.scenario
        if scenario.hang:
            self.server.stopping.wait()
            self.close_connection = True
            return None
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._send_json(record, 404, '{"error": {"message": "not found"}}')
        if not self._authorised(record):
            return None
        rejection = self._rejection(record.body)
        if rejection is not None:
            return self._send_json(record, 400, json.dumps({"error": {"message": rejection}}))
        if scenario.status is not None:
            return self._send_json(record, scenario.status, scenario.error_body)
        return self._stream(record)

    def _record(self) -> RequestRecord:
        record = RequestRecord(self.command, self.path, dict(self.headers.items()), time.perf_counter())
        self.server.requests.append(record)
        return record

    def _rejection(self, body: dict[str, Any]) -> str | None:
        """The 400 message a stricter server would give for this body, if any."""
        scenario = self.server.scenario
        if scenario.reject_stream_options and "stream_options" in body:
            return "Unrecognized request argument supplied: stream_options"
        if scenario.reject_response_format and "response_format" in body:
            return "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."
        if scenario.reject_max_tokens and "max_tokens" in body:
            return "Unsupported parameter: 'max_tokens' is not supported. Use 'max_completion_tokens' instead."
        return None

    def _authorised(self, record: RequestRecord) -> bool:
        key = self.server.scenario.required_api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._send_json(record, 401, '{"error": {"message": "Incorrect API key provided"}}')
        return False

    def _send_json(self, record: RequestRecord, status: int, body: str) -> None:
        record.status = status
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        record.finished_at = time.perf_counter()

    def _stream(self, record: RequestRecord) -> None:
        """Role chunk now, then reasoning and content chunks on an absolute schedule, then usage."""
        scenario, body = self.server.scenario, record.body or {}
        model = str(body.get("model", ""))
        record.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(_sse(_chunk(model, {"role": "assistant", "content": ""})))
        planned = [(scenario.reasoning_field, t, record.reasoning_sent_at) for t in scenario.reasoning_tokens]
        planned += [("content", t, record.content_sent_at) for t in scenario.content_tokens]
        first_at = record.received_at + scenario.ttft_s
        spin_between = min(_SPIN_S, scenario.token_interval_s / 4)
        hostile = scenario.raw_chunk_by_model.get(model)
        for i, (key, text, sent_at) in enumerate(planned):
            if scenario.drop_after is not None and len(record.content_sent_at) >= scenario.drop_after:
                return self._drop()
            frame = _sse(_chunk(model, {key: text}))
            sleep_until(first_at + i * scenario.token_interval_s, _SPIN_S if i == 0 else spin_between)
            sent_at.append(time.perf_counter())  # before the write: after it, the GIL may be busy
            self.wfile.write(frame)
            if hostile is not None and i == 0:
                self.wfile.write(_sse(hostile))
        self.wfile.write(_sse(_chunk(model, {}, scenario.finish_reason)))
        if scenario.include_usage and (body.get("stream_options") or {}).get("include_usage"):
            self.wfile.write(_sse(self._usage(model, len(planned))))
        self.wfile.write(_sse("[DONE]") + b"0\r\n\r\n")
        record.finished_at = time.perf_counter()
        return None

    def _usage(self, model: str, completion_tokens: int) -> dict[str, Any]:
        prompt_tokens = self.server.scenario.prompt_tokens
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        return {**_chunk(model, {}), "choices": [], "usage": usage}

    def _drop(self) -> None:
        """Cut the connection without the terminating chunk, as a crashing server would."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, scenario: Scenario) -> None:
        super().__init__((_HOST, 0), _Handler)
        self.scenario = scenario
        self.requests: list[RequestRecord] = []
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-stream (timeouts, early stops) is expected; report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive sockets so they exit with the server."""
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(OSError):  # already closed by the peer
                    conn.shutdown(socket.SHUT_RDWR)


class FakeOpenAIServer:
    """Context manager running a ``Scenario`` on 127.0.0.1 at a random free port."""

    def __init__(self, scenario: Scenario | None = None) -> None:
        self._server = _Server(scenario or Scenario())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-openai", daemon=True
        )

    @property
    def scenario(self) -> Scenario:
        """Mutable between requests, e.g. to make /models fail after a first success."""
        return self._server.scenario

    @property
    def base_url(self) -> str:
        return f"http://{_HOST}:{self._server.server_address[1]}/v1"

    @property
    def requests(self) -> list[RequestRecord]:
        return self._server.requests

    def chat_requests(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.method == "POST"]

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
