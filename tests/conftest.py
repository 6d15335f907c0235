"""Shared fixtures: a fresh store file per test, the process's Foundry Local engine with a tiny model,
and (for browser tests) a real Streamlit server.

Foundry Local's manager is a process singleton bound to the data folder it was created with, so the
test process gets a throwaway ``PICKWISE_DATA`` before anything creates it. The browser tests' app
server is a separate process and uses the real data folder, where ``make model`` put the default model.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.paths import REPO_ROOT
from store import Store
from store.records import Table
from tests.tiny_model import TINY_MODEL_ID, build_tiny_model, ensure_test_data_dir

ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
APP_DATA_DIR = os.environ.get("PICKWISE_DATA") or str(REPO_ROOT / "data")


def pytest_configure(config: pytest.Config) -> None:
    ensure_test_data_dir()


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    """The tiny random-weight model's folder, built once and cached under ~/.cache/pickwise-tests/."""
    return build_tiny_model()


@pytest.fixture(scope="session")
def foundry_engine():
    """The one FoundryLocalEngine of this test process (bound to the throwaway PICKWISE_DATA)."""
    from core.engines.foundry_local import get_foundry_engine

    return get_foundry_engine()


@pytest.fixture(scope="session")
def tiny_model(foundry_engine, tiny_model_dir) -> Iterator[str]:
    """The tiny model registered in Foundry Local's local catalog; yields its id."""
    foundry_engine.register_folder(tiny_model_dir, TINY_MODEL_ID, "Tiny test model", "apache-2.0")
    yield TINY_MODEL_ID
    foundry_engine.unregister(TINY_MODEL_ID)


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return tmp_path / "pickwise.json"


@pytest.fixture
def store(store_file: Path) -> Store:
    return Store(store_file)


@pytest.fixture
def app_store(store_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app (``PICKWISE_DB``) at this test's store file."""
    monkeypatch.setenv("PICKWISE_DB", str(store_file))
    return store_file


def open_app(page: str | None = None):
    """The whole app (navigation, sidebar) on ``page``, as a new browser session sees it (AppTest)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    if page:
        at.switch_page(page)
    return at


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class AppServer:
    url: str
    db: Path


@contextmanager
def running_app(db: Path, log_dir: Path) -> Iterator[AppServer]:
    """``streamlit run app.py`` on a free port over the store file ``db`` (and the real data folder,
    where ``make model`` put the default model), until the block ends."""
    port = free_port()
    env = {**os.environ, "PICKWISE_DB": str(db), "PICKWISE_DATA": APP_DATA_DIR}
    with open(log_dir / "streamlit.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, log.name)
            yield AppServer(url, db)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_healthy(url: str, log_name: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"Streamlit did not start; see {log_name}")


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app over an empty store of its own, shared by the browser tests of a session."""
    folder = tmp_path_factory.mktemp("app")
    with running_app(folder / "pickwise.json", folder) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright (no browser download: the system binary is used)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it with apt (package chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def ended_job(store_file: Path, kind: str, timeout_s: float = 30) -> dict:
    """The newest job of ``kind`` once it has ended: pages return at once, the job runs in a worker process."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        jobs = Store(store_file).find(Table.JOBS, kind=kind)
        if jobs and jobs[0]["state"] != "running":
            return jobs[0]
        time.sleep(0.05)
    raise AssertionError(f"the {kind} job did not end within {timeout_s:g} s")
