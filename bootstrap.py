"""The two commands without ``make``: ``python bootstrap.py run`` and ``python bootstrap.py test``.

The README's audience runs PowerShell as often as bash, and ``make`` is not there by default on Windows or
on a fresh Mac. This script is the one implementation: the Makefile only calls it. Standard library only
(it runs before anything is installed), paths through ``pathlib``, every step idempotent:

* ``install``      ``.venv`` with the app's packages (again only when ``requirements.txt`` changed)
* ``install-dev``  plus the test tools (``requirements-dev.txt``)
* ``chromium``     the browser the browser tests and chart exports use: installed with ``apt-get`` where there
                   is one (Debian, Ubuntu), else one sentence on how to point Pickwise at a Chrome or Chromium
* ``model``        the default model, converted and registered once (``cli.py models prepare-default``)
* ``lint``         ``ruff check .``
* ``run``          install, model, then the app on http://localhost:PORT
* ``test``         install-dev, chromium, model, lint, then pytest (further arguments go to pytest)

Windows-specific parts are kept to two: the venv's interpreter is ``Scripts\\python.exe`` there, and
``sudo``/``apt-get`` are only looked for where they exist.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"
DEV_REQUIREMENTS = ROOT / "requirements-dev.txt"
INSTALLED = VENV / ".installed"  # the same stamps the Makefile used, so an existing .venv is not redone
DEV_INSTALLED = VENV / ".dev-installed"
DEFAULT_PORT = 8501


class StepFailed(Exception):
    """A step that cannot go on; the message says what to do, and is printed as one line."""


def venv_python() -> Path:
    """The virtual environment's interpreter (``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere)."""
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(command: Sequence[str | Path]) -> None:
    """Run ``command`` from the repository root, echoed first as ``make`` does; ``StepFailed`` when it fails."""
    printable = " ".join(str(part) for part in command)
    print(f"+ {printable}", flush=True)
    done = subprocess.run([str(part) for part in command], cwd=ROOT, check=False)
    if done.returncode != 0:
        raise StepFailed(f"'{printable}' failed (exit {done.returncode}); its output is above.")


def _stale(stamp: Path, *sources: Path) -> bool:
    """True when ``stamp`` is missing or older than one of ``sources`` (``make``'s rule for a target)."""
    return not stamp.exists() or any(source.stat().st_mtime > stamp.stat().st_mtime for source in sources)


def install() -> None:
    """``.venv`` with requirements.txt installed; nothing to do when the stamp is newer than the file."""
    if not _stale(INSTALLED, REQUIREMENTS):
        return
    if not venv_python().exists():
        print(f"+ creating {VENV.name} with {sys.executable}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    _run([venv_python(), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    _run([venv_python(), "-m", "pip", "install", "--quiet", "-r", REQUIREMENTS])
    INSTALLED.touch()


def install_dev() -> None:
    install()
    if _stale(DEV_INSTALLED, INSTALLED, DEV_REQUIREMENTS):
        _run([venv_python(), "-m", "pip", "install", "--quiet", "-r", DEV_REQUIREMENTS])
        DEV_INSTALLED.touch()


def chromium() -> None:
    """Debian's chromium where ``apt-get`` exists (as root, else through ``sudo``); elsewhere a sentence on how
    to point Pickwise at a browser (``BROWSER_PATH``), and the other steps go on."""
    given = os.environ.get("BROWSER_PATH")
    if (given and Path(given).is_file()) or shutil.which("chromium"):
        return
    if shutil.which("apt-get"):
        sudo = [] if os.geteuid() == 0 else ["sudo"]  # geteuid exists wherever apt-get does
        _run([*sudo, "apt-get", "update", "-q"])
        _run([*sudo, "apt-get", "install", "-y", "-q", "chromium"])
        return
    print("note: no chromium found and no apt-get to install it: the browser tests and chart/PDF exports need "
          "Chrome or Chromium; install one and set BROWSER_PATH to its executable (macOS: \"/Applications/Google "
          "Chrome.app/Contents/MacOS/Google Chrome\"; Windows: \"C:\\Program Files\\Google\\Chrome\\Application"
          "\\chrome.exe\").", flush=True)


def model() -> None:
    install()
    _run([venv_python(), "cli.py", "models", "prepare-default"])


def lint() -> None:
    install_dev()
    _run([venv_python(), "-m", "ruff", "check", "."])


def run_app(port: int) -> None:
    model()
    _run([venv_python(), "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
          "--browser.gatherUsageStats", "false"])


def test(pytest_args: Sequence[str]) -> None:
    install_dev()
    chromium()
    model()
    lint()
    _run([venv_python(), "-m", "pytest", *pytest_args])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bootstrap.py", description="Pickwise's two commands on any system with Python 3.11+: "
                                         "'python bootstrap.py run' and 'python bootstrap.py test'.")
    steps = parser.add_subparsers(dest="step", required=True)
    run = steps.add_parser("run", help="install, prepare the default model, start the app")
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT") or DEFAULT_PORT))
    steps.add_parser("test", help="install with the test tools, chromium, the default model, ruff, pytest; "
                                  "any further arguments go to pytest (e.g. -m \"not slow\")")
    for name, help_text in (("install", "the app's packages in .venv"), ("install-dev", "plus the test tools"),
                            ("chromium", "the browser for the browser tests and chart exports"),
                            ("model", "convert and register the default model"), ("lint", "ruff check .")):
        steps.add_parser(name, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)  # not "--" alone: Windows PowerShell 5 drops it before python
    if extra[:1] == ["--"]:
        extra = extra[1:]
    if extra and args.step != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)} (only 'test' passes arguments on, to pytest)")
    steps = {"install": install, "install-dev": install_dev, "chromium": chromium, "model": model, "lint": lint,
             "run": lambda: run_app(args.port),
             "test": lambda: test(extra)}
    try:
        steps[args.step]()
    except StepFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
