"""The store's contract: one pydantic model per table, the table names, and the statuses they use.

The runner, the graders, the CLI and the pages agree on what a stored document holds through these
models, the way inspect_ai's ``EvalLog`` is the contract between its runner and its viewer.
``store/SCHEMA.md`` is generated from them (``python -m store.schema_doc --write``) and a test fails
when it differs, so the documentation cannot go stale.

Policy for fields, deliberately asymmetric:

* **Strict on write.** ``Record.to_doc()`` (used by every write in ``store.queries``) refuses a
  field the model does not declare, at any depth, and a value of the wrong type: a record that does
  not fit the contract is a bug, caught by the first test that writes it.
* **Tolerant on read.** ``extra="allow"``: a document from an older (or newer minor) Pickwise with
  fields this version does not know still reads, with those fields in ``model_extra``; updates
  (``store.queries.update``) change only the fields they name, so the unknown ones stay in the file.
  Fields added over time have defaults, so older documents that lack them read as "unknown"
  (``None``), never as zero.

Writes store exactly the fields that were set (``exclude_unset``): a probe's model entry does not
grow a dozen nulls it never measured. Nothing here imports ``core``: the store stands alone.

Reads are typed too (``store.queries.find``/``first``/``get_run``, and the core functions built on
them return ``Run``, ``Job``, ``Decision``...): a misspelt field is an ``AttributeError``, not a silent
``None``. One exception, measured: **samples** (and the free-form ``summary`` and ``settings`` objects
inside runs) stay plain dicts on the hot paths. A store holds hundreds of thousands of samples, and
validating them costs seconds on every read (measured on this machine: ``Sample.read`` of 100,000
typical samples 1.1 s, against 0.04 s for the dict copies the store returns; the other engineer's
figure at 300,000 was seconds too), which would break the app's 1 s first-render budget. They were
checked when written (``Sample.build`` in the runner).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar, Final, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from store.errors import StoreRecordError


class Table:
    """Every table name, spelled once. Names starting with ``_`` are reserved for the store itself."""

    RUNS: Final = "runs"
    SAMPLES: Final = "samples"
    JOBS: Final = "jobs"
    JUDGMENTS: Final = "judgments"
    GRADES: Final = "grades"
    RUBRICS: Final = "rubrics"
    DECISIONS: Final = "decisions"
    ENDPOINTS: Final = "endpoints"
    MODELS: Final = "models"
    PROMPT_SETS: Final = "prompt_sets"
    PAIRWISE: Final = "pairwise_verdicts"


RunKind = Literal["benchmark", "probe"]
RunStatus = Literal["queued", "running", "completed", "failed", "cancelled", "interrupted"]
ModelStatus = Literal["queued", "running", "completed", "partial", "failed", "cancelled", "interrupted"]

KIND_MEANINGS: Final[dict[str, str]] = {
    "benchmark": "models x prompts x rounds: the evidence Compare, Grade and Decide use",
    "probe": "one prompt to one model (the Models page's quick check); never comparable evidence",
}
STATUS_MEANINGS: Final[dict[str, str]] = {
    "queued": "recorded, not started yet",
    "running": "a process works on it (its `owner`)",
    "completed": "a run: every model was tried (each model's own status says how it went); a model: every request "
                 "it was due was sent (some may have failed: its summary's `n_errors`)",
    "partial": "models only: stopped early (e.g. two timeouts in a row) after producing counted samples, "
               "which are usable",
    "failed": "a run: it could not go on, e.g. its samples could not be saved (reason in `error`); a model: "
              "no counted sample at all (reason in `error`)",
    "cancelled": "the user stopped it; finished samples are kept",
    "interrupted": "its process died (killed, crashed) while it was queued or running; finished samples are kept",
}
"""What each value of ``RunStatus`` and ``ModelStatus`` means (and ``JobState``, which has no ``queued``)."""

JobKind = Literal["benchmark", "judge", "pairwise", "prepare-default", "download", "probe", "add-model"]


class JobKinds:
    """Every value of ``JobKind``, spelled once (the code that starts a job and the code that looks for
    it again must agree; tests/test_records.py checks this class against ``JobKind``)."""

    BENCHMARK: Final = "benchmark"
    JUDGE: Final = "judge"
    PAIRWISE: Final = "pairwise"
    PREPARE_DEFAULT: Final = "prepare-default"
    DOWNLOAD: Final = "download"
    PROBE: Final = "probe"
    ADD_MODEL: Final = "add-model"


JobState = Literal["running", "completed", "incomplete", "cancelled", "failed", "interrupted"]
JOB_INCOMPLETE_MEANING: Final = ("jobs only: finished, but part of the work could not be done (e.g. answers the "
                                 "judge could not score); shown as a warning, never as a success")
DecisionStatus = Literal["proposed", "accepted", "superseded"]
JudgmentStatus = Literal["scored", "unscored"]
PairwiseWinner = Literal["A", "B", "tie"]
JudgmentMethod = Literal["constrained", "parsed", "retried", "unscored"]
ControlKind = Literal["good", "other-prompt", "empty", "truncated", "planted-error"]
TokenSource = Literal["engine", "tokenizer", "chunks"]
Score = int  # 1..5, per rubric criterion; range checked by core.grading when a score is read

DECISION_STATUSES: Final[tuple[str, ...]] = get_args(DecisionStatus)


class ContractError(ValueError):
    """A document about to be written does not fit its record: a programming error, not user input."""


class Part(BaseModel):
    """A nested object of a record (tolerant on read, strict on write like the record itself)."""

    model_config = ConfigDict(extra="allow")

    def as_dict(self) -> dict[str, Any]:
        """The object as read, as plain JSON values (unknown fields kept, nothing checked): for code that
        takes plain mappings, such as the decision exports, ``--json`` output and the runner's model entries."""
        return self.model_dump(mode="json", exclude_unset=True)

    def unknown_fields(self, path: str = "") -> list[str]:
        """Dotted paths of every field set on this object, or nested in it, that the model does not declare."""
        found = [f"{path}{key}" for key in self.model_extra or {}]
        for name in type(self).model_fields:
            found += _unknown_in(getattr(self, name), f"{path}{name}.")
        return found


def _unknown_in(value: Any, path: str) -> list[str]:
    if isinstance(value, Part):
        return value.unknown_fields(path)
    if isinstance(value, dict):
        return [f for key, item in value.items() for f in _unknown_in(item, f"{path}{key}.")]
    if isinstance(value, list):
        return [f for i, item in enumerate(value) for f in _unknown_in(item, f"{path}{i}.")]
    return []


class Record(Part):
    """One document of ``TABLE``.

    ``doc_id`` is the store's document id (``"_id"`` in what ``Store`` returns), read but never
    written: the store assigns it."""

    TABLE: ClassVar[str]

    doc_id: int | None = Field(None, validation_alias="_id", exclude=True)

    @property
    def stored_id(self) -> int:
        """The document id of a record read from the store (what ``store.queries.update`` takes)."""
        if self.doc_id is None:
            raise ValueError(f"This {type(self).__name__} was not read from the store: it has no document id.")
        return self.doc_id

    @classmethod
    def read(cls, doc: Mapping[str, Any]) -> Self:
        """Typed access to a stored document (unknown fields kept, see the module docstring).

        A document that does not fit raises ``StoreRecordError``: one sentence naming the field, never a
        validation traceback, since the file may have been edited by hand."""
        try:
            return cls.model_validate(doc)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "document"
            raise StoreRecordError(cls.__name__, doc.get("_id", "?"), f"{where}: {first['msg']}") from None

    @classmethod
    def build(cls, doc: Mapping[str, Any]) -> Self:
        """A record for writing from a plain mapping; ``ContractError`` when it does not fit."""
        try:
            return cls.model_validate(doc)
        except ValidationError as exc:
            raise ContractError(f"{cls.__name__} does not fit the store contract: {exc}") from exc

    def to_doc(self) -> dict[str, Any]:
        """The document to store: the fields that were set, as plain JSON values; unknown fields refused."""
        _refuse_unknown(type(self), self.unknown_fields())
        return self.model_dump(mode="json", exclude_unset=True)

    @classmethod
    def fields_doc(cls, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A partial update checked like a whole record: known fields only, each of its declared type."""
        _refuse_unknown(cls, [key for key in fields if key not in cls.model_fields or key == "doc_id"])
        out: dict[str, Any] = {}
        for key, value in fields.items():
            adapter = _field_adapter(cls, key)
            try:
                checked = adapter.validate_python(value)
            except ValidationError as exc:
                raise ContractError(f"{cls.__name__}.{key} does not fit the store contract: {exc}") from exc
            _refuse_unknown(cls, _unknown_in(checked, f"{key}."))
            out[key] = adapter.dump_python(checked, mode="json", exclude_unset=True)
        return out


def _refuse_unknown(cls: type[Record], unknown: list[str]) -> None:
    if unknown:
        raise ContractError(f"{cls.__name__} has no field {', '.join(unknown)}: declare it in "
                            "store/records.py (and regenerate store/SCHEMA.md) before storing it.")


@cache
def _field_adapter(cls: type[Record], name: str) -> TypeAdapter[Any]:
    return TypeAdapter(cls.model_fields[name].annotation)


# ------------------------------------------------------------------ shared parts


class Owner(Part):
    """Nested in `runs` and `jobs`: the process working on it (`core/ownership.py`)."""

    pid: int = Field(description="process id")
    host: str = Field(description="host name")
    started: float = Field(description="the process's start time, `psutil.Process.create_time()` (pid reuse check)")


class PromptItem(Part):
    """Nested in `prompt_sets` and `runs.prompt_set`: one prompt; `reference` and `aspects` feed grading."""

    id: str = Field(description="unique within the set")
    prompt: str = Field(description="the text sent to the model")
    reference: str | None = Field(None, description="what a correct answer says (rubrics that use a reference)")
    aspects: list[str] = Field([], description="points a good answer covers")


class PromptSetCopy(Part):
    """Nested in `runs`: the prompt set as the run used it."""

    name: str = Field(description="its name when the run started")
    prompts: list[PromptItem] = Field(description="the prompts, in order")


class ModelResult(Part):
    """Nested in `runs.models[ref]`: one model's outcome within a run. A figure not measured is null or absent."""

    status: ModelStatus = Field(description="see `ModelStatus`")
    error: str | None = Field(None, description="why the model failed or stopped early")
    load_s: float | None = Field(None, description="cold load time; null when the model was already loaded")
    already_loaded: bool | None = Field(None, description="the model was loaded before the run (no load time, "
                                                          "not unloaded after)")
    device: str | None = Field(None, description="e.g. `cpu`, `GPU`, as the engine reports it")
    execution_provider: str | None = Field(None, description="e.g. `CPUExecutionProvider`")
    family: str | None = Field(None, description="the model family its variants share across devices: Foundry "
                               "Local's alias, or the user's family tag for an endpoint model (`models.family`); "
                               "null in older runs (the model id stands in)")
    engine: str | None = Field(None, description="which engine served it, e.g. `foundry-local (in-process)`")
    rss_load_mb: float | None = Field(None, description="process memory added by loading (in-process engines)")
    rss_peak_mb: float | None = Field(None, description="peak process memory added while answering")
    rss_before_mb: float | None = Field(None, description="memory of the model's own process before loading "
                                                          "(interpreter and engine runtime); null for endpoints")
    context_length: int | None = Field(None, description="context length the model was loaded with (Foundry "
                                                         "Local: `search.max_length` of its genai_config.json)")
    kv_cache_mb: float | None = Field(None, description="estimated KV cache at that context length: layers x 2 x "
                                                        "KV heads x head size x context x bytes per value")
    memory_note: str | None = Field(None, description="in words: what dominates the memory (weights or KV "
                                                      "cache), or why memory is not measurable")
    memory_estimate_mb: float | None = Field(None, description="will it fit: the memory the model was estimated to "
                                              "add, made before loading (`core/models/fit.py`); compare with "
                                              "`rss_peak_mb`")
    memory_estimate: dict[str, Any] | None = Field(None, description="what the estimate was made of: `weights_mb`, "
                                                   "`kv_cache_mb`, `prompt_mb`, `overhead_mb`, `context_length`, "
                                                   "`needed_mb`, `free_mb` and `against` (`RAM` or `GPU memory`)")
    gpu_load_mb: float | None = Field(None, description="GPU memory added by loading (NVML, every NVIDIA GPU together; "
                                                        "the device's memory, so other processes show in it)")
    gpu_peak_mb: float | None = Field(None, description="peak GPU memory while answering, over the memory in use "
                                                        "before loading (NVML)")
    gpu_util_mean_pct: float | None = Field(None, description="mean GPU utilisation (%, busiest GPU) while answering, "
                                                              "sampled every 0.1 s (NVML)")
    gpu_util_max_pct: float | None = Field(None, description="highest GPU utilisation (%) sampled while answering")
    gpu_energy_j: float | None = Field(None, description="GPU energy while answering (NVML's energy counter; Volta "
                                                         "or newer), apart from the CPU's `energy_j`")
    gpu_fallback_suspected: bool | None = Field(None, description="a GPU variant ran on the CPU: its execution "
                                                                  "provider is the CPU's, or a GPU provider while "
                                                                  "NVML saw no memory added and ~0% utilisation; "
                                                                  "false: it ran on the GPU; null: not a GPU variant "
                                                                  "or not checkable (`core/benchmark/gpu.py`)")
    gpu_fallback_note: str | None = Field(None, description="the fallback verdict's reason in one sentence")
    disk_mb: float | None = Field(None, description="the model's files on disk")
    license: str | None = Field(None, description="the license the model's source lists (Foundry Local's catalog); "
                                                  "Decide uses it when the user gave none")
    first_request_s: float | None = Field(None, description="latency of the very first request (cold)")
    summary: dict[str, Any] | None = Field(None, description="`core.benchmark.metrics.summarize_samples` of the lowest "
                                                             "concurrency level: `n_samples`, `n_counted`, "
                                                             "`n_warmup`, `n_errors`, `tokens_estimated`, "
                                                             "`metrics` (per metric: n, mean, p50..p99, CI...)")
    slo_pass_rate: dict[str, float | None] | None = Field(None, description="metric -> share (0..1) of the "
                                                                            "requests (warm-ups excepted) meeting "
                                                                            "the run's `slo` target; failed "
                                                                            "requests count as misses")
    goodput: float | None = Field(None, description="share (0..1) of the requests (warm-ups excepted, failed "
                                                    "ones included) meeting every `slo` target, as vLLM defines "
                                                    "goodput (`core/benchmark/slo.py`); null without targets")
    goodput_met: int | None = Field(None, description="requests that succeeded and met every `slo` target")
    goodput_n: int | None = Field(None, description="requests `goodput` is over")
    throughput_by_concurrency: dict[str, float | None] | None = Field(
        None, description="concurrency level (as a string) -> output tokens per wall-clock second at that level")
    energy_j: float | None = Field(None, description="energy used while answering, where a counter exists")
    energy_j_per_token: float | None = Field(None, description="`energy_j` / output tokens")
    unload_error: str | None = Field(None, description="why unloading after the run failed (the figures stand)")


# ------------------------------------------------------------------ tables


class Run(Record):
    """One benchmark or probe run. `samples` and `jobs` refer to it by `run_id`."""

    TABLE: ClassVar[str] = Table.RUNS

    run_id: str = Field(description="unique, stable id")
    kind: RunKind = Field(description="see `RunKind`")
    status: RunStatus = Field(description="see `RunStatus`")
    created_at: str = Field(description="ISO UTC")
    started_at: str | None = Field(None, description="ISO UTC")
    finished_at: str | None = Field(None, description="ISO UTC")
    error: str | None = Field(None, description="why the run stopped early (`failed` or `interrupted`); "
                                                "absent in probes and older runs")
    owner: Owner | None = Field(None, description="the process running it; absent in probes (never left "
                                                  "running) and older runs")
    settings: dict[str, Any] = Field(description="what the user asked for: a benchmark's `BenchmarkSettings` "
                                                 "(models, prompts, warmup, rounds, max_output_tokens, temperature, "
                                                 "seed, timeout_s, concurrency, slo), a probe's `ChatParams`")
    environment: dict[str, Any] = Field(description="machine and software facts captured at start")
    prompt_set: PromptSetCopy = Field(description="a copy of the prompt set as used (later edits do not "
                                                  "change history)")
    models: dict[str, ModelResult] = Field(description="`SOURCE:MODEL_ID` -> that model's outcome")


class Sample(Record):
    """One generation: one prompt, one model, one round. Timing fields: `core/benchmark/metrics.py`.

    Written with `insert_many` per batch, not one `insert` per sample. Read back as plain dicts
    (hundreds of thousands of them; see `store.queries.counted_samples`)."""

    TABLE: ClassVar[str] = Table.SAMPLES

    run_id: str = Field(description="the run")
    model_ref: str = Field(description="`SOURCE:MODEL_ID`")
    prompt_id: str = Field(description="id within the run's `prompt_set`")
    round: int = Field(description="0-based repetition; warm-ups are negative")
    warmup: bool = Field(description="excluded from statistics")
    concurrency: int = Field(1, description="requests in flight at once when it was sent (absent in probes: 1)")
    error: str | None = Field(description="set when the generation failed (excluded from statistics)")
    created_at: str = Field(description="ISO UTC")
    ttft_s: float | None = Field(None, description="time to first token (any text, reasoning included)")
    ttfa_s: float | None = Field(None, description="time to first answer token (reasoning excluded)")
    e2e_s: float | None = Field(None, description="request start to the last content token")
    decode_tps: float | None = Field(None, description="(completion tokens - 1) / decode time")
    itl_mean_s: float | None = Field(None, description="mean gap between content chunks")
    itl_p95_s: float | None = Field(None, description="95th percentile gap between content chunks")
    prompt_tokens: int | None = Field(None, description="from the engine's usage")
    completion_tokens: int | None = Field(None, description="from the engine's usage, else counted")
    token_source: TokenSource | None = Field(None, description="where token counts came from")
    finish_reason: str | None = Field(None, description="e.g. `stop`, `length`")
    n_deltas: int | None = Field(None, description="content chunks received")
    text: str = Field("", description="the answer (at most `PICKWISE_MAX_STORED_CHARS` characters)")
    reasoning_text: str = Field("", description="reasoning output, `\"\"` if none")
    text_truncated: bool = Field(False, description="the answer or reasoning was longer than what is stored")
    decode_bunched: bool | None = Field(None, description="chunks arrived in bursts (a descheduled client read "
                                                          "them at once): `decode_tps` is left out of "
                                                          "tokens/s summaries; null with fewer than 2 chunks")
    bunched_share: float | None = Field(None, description="how uneven chunk arrivals were over the decode window "
                                                          "(0..1, 0 = steady): the largest share of chunks ahead "
                                                          "of or behind a steady pace; bunched from 0.1")


class Progress(Part):
    """Nested in `jobs`: how far the job is."""

    done: float = Field(description="units done")
    total: float | None = Field(description="units in all; null while unknown")
    at: str | None = Field(None, description="ISO UTC (milliseconds): when `done` was reached; absent in older jobs")
    since_done: float | None = Field(None, description="`done` when the first unit had finished: the ETA's pace "
                                                       "(`core/eta.py`) is measured from there, leaving out start-up "
                                                       "and model loading; null until then")
    since_at: str | None = Field(None, description="ISO UTC (milliseconds): when `since_done` was reached")


class Job(Record):
    """Background work the UI can watch (a run, a judging pass, a download, the default model).

    Owners: listing jobs or runs (`core.jobs`), and opening the store from the CLI, first marks a
    `running` job, or a `queued`/`running` run, whose owner process is gone as `interrupted`
    (`finished_at` set, the reason in `message` / `error`); samples are never touched. An owner on
    another host cannot be checked and is left alone. Claim work inside `store.transaction()`."""

    TABLE: ClassVar[str] = Table.JOBS

    job_id: str = Field(description="unique")
    kind: JobKind = Field(description="what the job does")
    label: str = Field("", description="how the UI names it")
    state: JobState = Field(description="like `RunStatus`, without `queued`, plus `incomplete`: "
                                        + JOB_INCOMPLETE_MEANING)
    progress: Progress = Field(default_factory=lambda: Progress(done=0, total=None),
                               description="`{done, total}`; absent in older jobs (nothing done, total unknown)")
    message: str = Field("", description="latest human-readable status line")
    run_id: str | None = Field(None, description="the run this job drives or grades")
    params: dict[str, Any] = Field({}, description="the JSON description of the work its worker process does "
                                                   "(`core/workers/registry.py`: e.g. `{run_id}` for a benchmark); "
                                                   "never a secret; absent in older jobs")
    cancel_requested: bool = Field(False, description="the user asked it to stop: its worker finishes or abandons "
                                                      "the current request, keeps what it finished, ends `cancelled`")
    owner: Owner | None = Field(None, description="the process doing the work (a job's own worker process)")
    pid: int | None = Field(None, description="older jobs only: a bare process id instead of `owner`")
    heartbeat_at: str | None = Field(None, description="ISO UTC, refreshed with progress (seconds apart); "
                                                       "absent in older jobs")
    created_at: str = Field(description="ISO UTC")
    finished_at: str | None = Field(None, description="ISO UTC")


class Criterion(Part):
    """Nested in `rubrics`: one scored criterion."""

    key: str = Field(description="`[a-z][a-z0-9_]*`: the score field and CSV column")
    title: str = Field(description="short name")
    question: str = Field(description="what the grader answers")
    levels: list[str] = Field(description="five texts: `levels[i]` describes score `i + 1`")


class RubricVersion(Record):
    """One version of a scoring rubric (`core/grading/rubric.py`); a stored version is never modified."""

    TABLE: ClassVar[str] = Table.RUBRICS

    name: str = Field(description="e.g. `helpfulness` (presets: `core/grading/presets.py`)")
    version: int = Field(description="1, 2, ... per name; saving changed content inserts `version + 1`")
    description: str = Field("", description="what the rubric is for")
    uses_reference: bool = Field(False, description="the judge needs the prompt's `reference` (prompts "
                                                    "without one are skipped)")
    criteria: list[Criterion] = Field(description="the criteria, in order")
    created_at: str = Field(description="ISO UTC")


class GradedItem(Record):
    """The fields `judgments` and `grades` share: the *item* they score, a distinct answer of a run.

    An item is a counted sample (not warm-up, no error) with its text; identical texts for the same
    run, model and prompt are one item. `item_id` is `"i-" + sha256(run_id, model_ref, prompt_id,
    text)[:12]`: stable, and it does not reveal the model (`core/grading/items.py`)."""

    run_id: str = Field(description="the graded run")
    item_id: str = Field(description="the item (see `GradedItem`)")
    sample_id: int = Field(description="`samples` document id of the item's first sample")
    model_ref: str = Field(description="the candidate that wrote the answer (never shown to a blind grader)")
    prompt_id: str = Field(description="id within the run's `prompt_set`")
    response_chars: int = Field(description="length of the answer (length-bias check)")
    rubric_name: str = Field(description="rubric used")
    rubric_version: int = Field(description="rubric version used")
    created_at: str = Field(description="ISO UTC")


class Judgment(GradedItem):
    """One LLM judge's verdict on one item under one rubric version (`core/grading/judge.py`).

    Written in batches by the `judge` job (temperature 0, bounded output). A rerun skips items that
    already have a judgment for the same run, judge and rubric version, except that judging the
    unscored again (`retry_unscored`) replaces an `unscored` judgment with the new verdict (the old
    replies are not kept: they held no score). Judge requests that fail (engine error) are not
    stored; the job message counts them. Control answers (`control` set) are judged mixed among the
    answers to test the judge; `store.queries.scores_for` leaves them out unless asked."""

    TABLE: ClassVar[str] = Table.JUDGMENTS

    judge_ref: str = Field(description="`SOURCE:MODEL_ID` of the judge")
    status: JudgmentStatus = Field(description="`unscored`: no valid score after one retry (never stored as 0)")
    scores: dict[str, Score] | None = Field(description="criterion key -> 1..5 for every criterion when "
                                                        "`scored`, else null")
    partial_scores: dict[str, Score] = Field({}, description="valid scores read from an `unscored` reply "
                                                             "(for the record only)")
    rationale: str = Field("", description="the judge's short explanation")
    problem: str | None = Field(None, description="why the reply could not be scored")
    parse_method: str | None = Field(None, description="`json` or `text`: which parser read the final reply")
    retried: bool = Field(False, description="the first reply was unreadable and a stricter reminder was sent")
    raw_replies: list[str] = Field(description="every raw judge reply, in order (1, or 2 after a retry)")
    method: JudgmentMethod | None = Field(None, description="how the score was obtained: `constrained` (the "
                                          "first reply was generated under the verdict's JSON schema), `parsed` "
                                          "(read from free text), `retried` (read after the stricter reminder), "
                                          "`unscored`; absent in older judgments")
    control: ControlKind | None = Field(None, description="set on a control answer (`core/grading/controls.py`): "
                                        "`good` (the prompt's reference) or how it was made bad; its `model_ref` "
                                        "is `control` and `sample_id` 0. Never a model's quality; null for answers")


class PairwiseVerdict(Record):
    """One pairwise judge request: which of two answers to one prompt is better (`core/grading/pairwise.py`).

    Every pair of models is asked in both orders (`model_a` is shown first as Response A), `samples`
    times each; the results (`core/grading/pairwise_results.py`) map each verdict back to the models and
    count a verdict that flips with the order as a tie. An unreadable reply is stored `unscored` with the
    raw reply, never as a tie; a rerun asks again only what has no `scored` verdict yet. Kept in per-run
    files, like `judgments`."""

    TABLE: ClassVar[str] = Table.PAIRWISE

    run_id: str = Field(description="the run whose answers were compared")
    prompt_id: str = Field(description="id within the run's `prompt_set`")
    judge_ref: str = Field(description="`SOURCE:MODEL_ID` of the judge")
    rubric_name: str = Field(description="rubric whose criteria define \"better\"")
    rubric_version: int = Field(description="rubric version used")
    model_a: str = Field(description="the model whose answer was shown first (Response A)")
    model_b: str = Field(description="the model whose answer was shown second (Response B)")
    item_a: str = Field(description="`item_id` of Response A (see `GradedItem`)")
    item_b: str = Field(description="`item_id` of Response B")
    sample: int = Field(description="0-based judge sample for this order (several when asked)")
    status: JudgmentStatus = Field(description="`unscored`: no winner could be read (never counted as a tie)")
    winner: PairwiseWinner | None = Field(description="the position the judge preferred, or `tie`; null when "
                                                      "`unscored`")
    reason: str = Field("", description="the judge's short explanation")
    problem: str | None = Field(None, description="why the reply could not be read")
    parse_method: str | None = Field(None, description="`json` or `text`: which parser read the reply")
    raw_reply: str = Field(description="the judge's reply, verbatim")
    created_at: str = Field(description="ISO UTC")


class Grade(GradedItem):
    """One person's scores for one item under one rubric version (`core/grading/manual.py`).

    At most one grade per (run, item, grader, rubric name and version): grading again, or
    re-importing a sheet, replaces it."""

    TABLE: ClassVar[str] = Table.GRADES

    grader: str = Field(description="the person's name or initials, as entered")
    scores: dict[str, Score] = Field(description="criterion key -> 1..5 for every criterion (incomplete "
                                                 "grades are refused)")
    comment: str = Field("", description="free text")
    source: Literal["app", "csv"] = Field(description="graded in the app, or imported from an annotation sheet")


class Decision(Record):
    """The chosen model, why, and the evidence it rests on (`core/decide/decision.py`).

    Never edited after `save_decision` except `status` and `superseded_by`. It holds the inputs
    (`candidates`, `settings`) as well as the results, so `core.decide.decision.recompute(record)` rebuilds
    the ranking from the record alone and the exports (`core/decide/report.py`) need nothing else."""

    TABLE: ClassVar[str] = Table.DECISIONS

    decision_id: str = Field(description="unique, 12 hex characters")
    title: str = Field(description="what is being decided")
    status: DecisionStatus = Field(description="`accepted` needs at least one decision-maker")
    created_at: str = Field(description="ISO UTC")
    decided_on: str = Field(description="`YYYY-MM-DD`, the day the people decided")
    context: str = Field("", description="the situation and the need, as typed")
    decision_makers: list[str] = Field([], description="names or initials")
    consequences: str = Field("", description="what follows from the choice, as typed")
    chosen: str | None = Field(description="`SOURCE:MODEL_ID` chosen: the top-ranked one unless overridden; "
                                           "null when no model qualifies")
    top_ranked: str | None = Field(description="the model ranked first; null when no model qualifies")
    no_model_qualifies: bool = Field(False, description="the hard constraints and the rule for missing data left "
                                                        "no model: `excluded` lists every model with its reasons")
    override_reason: str | None = Field(None, description="required when `chosen` differs from `top_ranked`")
    run_ids: list[str] = Field(description="the benchmark runs considered, newest first")
    settings: dict[str, Any] = Field(description="`SelectionSettings.as_dict()`: criteria and weights, "
                                                 "latency statistic, constraints, license scores")
    weights_applied: dict[str, float] = Field(description="criterion -> share of 1 actually used")
    candidates: dict[str, Any] = Field(description="`CandidateTable.as_dict()`: per model its figures, "
                                                   "quality `{mean, ci95_low, ci95_high, n}` or null, warnings")
    ranked: list[dict[str, Any]] = Field(description="in rank order: `{ref, rank, score, values, normalised, "
                                                     "contributions, evidence, entered}` (`entered`: figures typed "
                                                     "in by hand)")
    excluded: list[dict[str, Any]] = Field(description="`{ref, reasons}`: every hard constraint failed")
    dropped: dict[str, str] = Field(description="criterion -> why it was left out for every model")
    pareto: dict[str, Any] = Field(description="`{points, not_plotted}`: quality against latency")
    sensitivity: dict[str, Any] = Field(description="`flips` per criterion; win `probabilities` "
                                                    "under random weights and resampled measurements (`draws`, "
                                                    "`seed`, `concentration`, `noise`); `lead` (the score gap's "
                                                    "interval, or a statistical tie)")
    evidence: dict[str, Any] = Field(description="`runs` (per run: dates, settings, environment), "
                                                 "`quality_source` (where quality came from, or null), `notes`, "
                                                 "`examples` (the chosen model's and the runner-up's example "
                                                 "answers beside their grades: `[{ref, role, answers}]`; absent "
                                                 "in older records)")
    supersedes: str | None = Field(None, description="`decision_id` this one replaces")
    superseded_by: str | None = Field(None, description="set on the old record when a newer one supersedes it")


class Endpoint(Record):
    """An OpenAI-compatible endpoint (`core/models/sources.py`). API keys are never stored, only where to find them."""

    TABLE: ClassVar[str] = Table.ENDPOINTS

    name: str = Field(description="unique; the `SOURCE` of its model references")
    base_url: str = Field(description="e.g. `http://127.0.0.1:11434/v1`, never with credentials in it")
    api_key_env: str | None = Field(None, description="NAME of the environment variable (or Streamlit secret) "
                                                      "holding the key")
    created_at: str | None = Field(None, description="ISO UTC")


class ModelInfo(Record):
    """What the user told Pickwise about a model (`models.json`, the Decide page's details)."""

    TABLE: ClassVar[str] = Table.MODELS

    ref: str = Field(description="`SOURCE:MODEL_ID` (split at the first colon; `core/refs.py`)")
    alias: str | None = Field(None, description="short display name")
    family: str | None = Field(None, description="the user's family tag: the same model served elsewhere (e.g. by "
                               "Ollama on a GPU box and on a laptop) carries the same tag, so Compare pairs them")
    license: str | None = Field(None, description="license id or text")
    capabilities: list[str] = Field([], description="e.g. `[\"chat\", \"tools\"]`")
    size_mb: float | None = Field(None, description="download / disk size")
    notes: str = Field("", description="free text from the user")


class PromptSet(Record):
    """A named list of prompts the user imported (built-in sets live in `core/benchmark/prompt_sets/`)."""

    TABLE: ClassVar[str] = Table.PROMPT_SETS

    name: str = Field(description="unique display name")
    prompts: list[PromptItem] = Field(description="`id` unique within the set")
    builtin: bool = Field(False, description="shipped with Pickwise (not user-editable)")
    created_at: str = Field(description="ISO UTC")


RECORDS: Final[tuple[type[Record], ...]] = (
    ModelInfo, PromptSet, Endpoint, Run, Sample, Job, RubricVersion, Judgment, PairwiseVerdict, Grade, Decision,
)
"""One record per table, in the order SCHEMA.md documents them."""
