"""Run bundles: runs moved between stores with everything that hangs off them, and runs deleted whole.

Why: the GPU is usually on another machine than the laptop's CPU run, so a run must leave one store and
enter another with its samples, judgments, pairwise verdicts, grades and the rubric versions they used,
and say which machine measured it (Compare labels "gpu-box, CUDA" against "laptop, CPU").

A bundle is ONE JSON file, not a zip: the store itself is JSON, a bundle can be read and diffed by hand,
and one parse checks it whole; compression is left to whoever moves the file (samples compress ~10x).
Layout (``BUNDLE_FORMAT``, version ``BUNDLE_VERSION``)::

    {"format": "pickwise-run-bundle", "bundle_version": 1, "schema_version": 2, "created_at": ...,
     "exported_by": {"hostname": ..., "label": ...},
     "runs": [{"run": {...}, "samples": [...], "judgments": [...], "pairwise_verdicts": [...],
               "grades": [...]}],
     "rubrics": [...], "checksum": "sha256:<hex>"}

``checksum`` is the sha256 of every other key, serialised canonically (sorted keys, orjson): an edit
anywhere, the schema version included, is caught. The machine identity lives in each run's
``environment.machine`` (``{"hostname", "label"}``), set at export for runs that lack it and never changed
afterwards, so a run re-exported from a second store keeps the machine that measured it.

This is a shared module (not ``core/compare``): it moves benchmark runs *and* grading records, and deletes
them, so it belongs to no single step; compare, grading and decide may all read ``machine_label``.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from store import Store, StoreRecordError
from store import queries as q
from store.records import (
    ContractError,
    Decision,
    Grade,
    GradedItem,
    Judgment,
    PairwiseVerdict,
    Record,
    RubricVersion,
    Run,
    Sample,
    Table,
)

BUNDLE_FORMAT: Final = "pickwise-run-bundle"
BUNDLE_VERSION: Final = 1
MACHINE_KEY: Final = "machine"
#: Per-run records a bundle carries, with the record that checks each on import.
PER_RUN: Final[dict[str, type[Record]]] = {
    Table.SAMPLES: Sample, Table.JUDGMENTS: Judgment, Table.PAIRWISE: PairwiseVerdict, Table.GRADES: Grade,
}


class BundleError(ValueError):
    """A bundle that cannot be written or read, or a run that cannot be deleted: one sentence saying what to do."""


@dataclass(frozen=True)
class ImportReport:
    """What one bundle did to the store: runs added, runs skipped (already present), rubric versions added."""

    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rubrics_added: int = 0

    def sentence(self, name: str) -> str:
        """What importing the file ``name`` did, in one sentence (the CLI prints it, the Compare page shows it)."""
        added = f" {', '.join(self.added)}" if self.added else ""
        skipped = f"; already here, skipped: {', '.join(self.skipped)}" if self.skipped else ""
        rubrics = f"; {self.rubrics_added} rubric version(s) added" if self.rubrics_added else ""
        return f"{name}: imported {len(self.added)} run(s){added}{skipped}{rubrics}"


# ------------------------------------------------------------------ machine identity


def this_machine(label: str | None = None) -> dict[str, str]:
    """This machine's identity: its hostname, and the label people know it by (the hostname unless given)."""
    hostname = socket.gethostname()
    return {"hostname": hostname, "label": (label or "").strip() or hostname}


def machine_of(run: Run) -> dict[str, str] | None:
    """The machine that measured ``run``, as its bundle recorded it; ``None`` for a run never exported."""
    found = run.environment.get(MACHINE_KEY)
    return dict(found) if isinstance(found, Mapping) else None


def machine_label(run: Run) -> str:
    """How to name the run's machine in a sentence: its label, else the host that owned it, else "this machine"."""
    machine = machine_of(run)
    if machine and machine.get("label"):
        return str(machine["label"])
    return run.owner.host if run.owner is not None else "this machine"


def measured_here(run: Run) -> bool:
    """Whether ``run`` was measured on this machine: it never came through a bundle, or its bundle names this
    host (Compare takes this machine's CPU as the baseline when runs from several machines used a CPU)."""
    machine = machine_of(run)
    return machine is None or machine.get("hostname") == socket.gethostname()


# ------------------------------------------------------------------ export


def export_bundle(store: Store, run_ids: Sequence[str], *, label: str | None = None) -> bytes:
    """The bundle of these runs, as bytes to write; ``BundleError`` for an unknown or unfinished run.

    ``label`` names this machine for runs that carry no machine identity yet (runs measured here)."""
    if not run_ids:
        raise BundleError("Name at least one run to export (python cli.py runs list shows them).")
    here = this_machine(label)
    entries, rubric_keys = [], set()
    for run_id in dict.fromkeys(run_ids):
        run = q.get_run(store, run_id)
        if run is None:
            raise BundleError(f"No run {run_id!r} in this store: python cli.py runs list shows the runs there are.")
        if not q.is_finished(run):
            raise BundleError(f"Run {run_id} is still {run.status}: export it once it has finished.")
        entry = _run_entry(store, run, here)
        rubric_keys |= {(d["rubric_name"], d["rubric_version"]) for t in PER_RUN if t != Table.SAMPLES
                        for d in entry[t]}
        entries.append(entry)
    rubrics = [r.to_doc() for r in q.find(store, RubricVersion) if (r.name, r.version) in rubric_keys]
    body: dict[str, Any] = {
        "format": BUNDLE_FORMAT, "bundle_version": BUNDLE_VERSION, "schema_version": store.schema_version,
        "created_at": datetime.now(UTC).isoformat(), "exported_by": here, "runs": entries, "rubrics": rubrics,
    }
    body["checksum"] = checksum(body)
    return orjson.dumps(body)


def _run_entry(store: Store, run: Run, here: Mapping[str, str]) -> dict[str, Any]:
    """One run and its per-run records as plain documents; samples keep ``_id`` so links can be remapped."""
    doc = run.as_dict()
    if machine_of(run) is None:
        host = run.owner.host if run.owner is not None else here["hostname"]
        doc["environment"] = {**doc["environment"],
                              MACHINE_KEY: {"hostname": host, "label": here["label"] if host == here["hostname"]
                                            else host}}
    entry: dict[str, Any] = {"run": doc}
    for table in PER_RUN:
        entry[table] = [d if table == Table.SAMPLES else _without_id(d)
                        for d in store.find(table, run_id=run.run_id)]
    return entry


def _without_id(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in doc.items() if key != "_id"}


def checksum(body: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of every key but ``checksum``, serialised with sorted keys (the same bytes anywhere)."""
    payload = orjson.dumps({k: v for k, v in body.items() if k != "checksum"}, option=orjson.OPT_SORT_KEYS)
    return "sha256:" + hashlib.sha256(payload).hexdigest()


# ------------------------------------------------------------------ import


def read_bundle(data: bytes, *, name: str, schema_version: int) -> dict[str, Any]:
    """The checked content of a bundle file; ``BundleError`` (one sentence) for anything damaged or too new.

    Checked in this order, so the sentence names the real cause: parses as JSON, is a bundle, is not from a
    newer Pickwise (its layout may differ, so nothing else is trusted), then the checksum."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise BundleError(f"{name} is damaged or incomplete (it is not valid JSON): export the runs again "
                          "and copy the whole file.") from None
    if not isinstance(body, dict) or body.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{name} is not a Pickwise run bundle: export one with python cli.py runs export.")
    version, bundle_version = body.get("schema_version"), body.get("bundle_version")
    if type(version) is not int or type(bundle_version) is not int:
        raise BundleError(f"{name} does not say which schema it was written with: export the runs again.")
    if version > schema_version or bundle_version > BUNDLE_VERSION:
        raise BundleError(f"{name} was written by a newer Pickwise (store schema {version}, this one reads up to "
                          f"{schema_version}): update Pickwise here, then import it again.")
    if body.get("checksum") != checksum(body):
        raise BundleError(f"{name} was changed or damaged after it was exported (its checksum does not match): "
                          "export the runs again.")
    if not isinstance(body.get("runs"), list) or not isinstance(body.get("rubrics"), list):
        raise BundleError(f"{name} is not a Pickwise run bundle: export one with python cli.py runs export.")
    return body


def import_bundle(store: Store, data: bytes, *, name: str = "the bundle") -> ImportReport:
    """Add the bundle's runs that this store lacks, with their records; a run id already present is skipped.

    Nothing is overwritten and importing twice adds nothing the second time. Every record is checked
    against ``store.records`` before anything is written, and one transaction writes the rest, so a
    bundle that does not fit leaves the store as it was."""
    body = read_bundle(data, name=name, schema_version=store.schema_version)
    entries = [_checked_entry(entry, name) for entry in body["runs"]]
    rubrics = [_checked(RubricVersion, doc, name) for doc in body["rubrics"]]
    added, skipped = [], []
    with store.transaction():
        for entry in entries:
            run_id = entry["run"]["run_id"]
            if q.get_run(store, run_id) is not None or run_id in added:
                skipped.append(run_id)
                continue
            _add_run(store, entry)
            added.append(run_id)
        known = {(r.name, r.version) for r in q.find(store, RubricVersion)}
        new_rubrics = [r for r in rubrics if (r["name"], r["version"]) not in known]
        if new_rubrics:
            store.insert_many(Table.RUBRICS, new_rubrics)
    return ImportReport(added, skipped, len(new_rubrics))


def _checked_entry(entry: Any, name: str) -> dict[str, Any]:
    """One run's entry with every document checked; samples keep their exported ``_id``."""
    if not isinstance(entry, dict) or not isinstance(entry.get("run"), dict):
        raise BundleError(f"{name} holds a run entry without its run record: export the runs again.")
    run = _checked(Run, entry["run"], name)
    checked: dict[str, Any] = {"run": run}
    for table, cls in PER_RUN.items():
        docs = entry.get(table, [])
        if not isinstance(docs, list):
            raise BundleError(f"{name}: run {run['run_id']} has no list of {table}: export the runs again.")
        checked[table] = [_checked(cls, doc, name) | ({"_id": doc.get("_id")} if table == Table.SAMPLES else {})
                          for doc in docs]
        if any(doc["run_id"] != run["run_id"] for doc in checked[table]):
            raise BundleError(f"{name}: run {run['run_id']} carries {table} of another run: export the runs again.")
    return checked


def _checked(cls: type[Record], doc: Any, name: str) -> dict[str, Any]:
    """``doc`` as this Pickwise would store it, or ``BundleError`` naming the record and the field."""
    if not isinstance(doc, dict):
        raise BundleError(f"{name} holds a {cls.__name__} that is not a JSON object: export the runs again.")
    try:
        return cls.build(doc).to_doc()
    except (ContractError, StoreRecordError) as exc:
        first_line = str(exc).splitlines()[0]
        raise BundleError(f"{name} holds a {cls.__name__} this Pickwise cannot store ({first_line}); nothing "
                          "was imported from it.") from None


def _add_run(store: Store, entry: Mapping[str, Any]) -> None:
    """Insert one run and its records; judgments and grades get the new ids of the samples they name."""
    store.insert(Table.RUNS, entry["run"])
    samples = entry[Table.SAMPLES]
    new_ids = store.insert_many(Table.SAMPLES, [_without_id(s) for s in samples])
    moved = {s["_id"]: new for s, new in zip(samples, new_ids, strict=True) if s.get("_id") is not None}
    for table, cls in PER_RUN.items():
        if table == Table.SAMPLES or not entry[table]:
            continue
        docs = entry[table]
        if issubclass(cls, GradedItem):  # its sample_id names a sample; a control answer's 0 names none, stays 0
            docs = [d | {"sample_id": moved.get(d["sample_id"], d["sample_id"])} for d in docs]
        store.insert_many(table, docs)


# ------------------------------------------------------------------ listing and deleting


def run_rows(store: Store) -> list[dict[str, Any]]:
    """Every run, newest first, as the facts ``runs list`` shows: id, kind, status, date, machine, counts."""
    samples = store.count_by_run(Table.SAMPLES)
    return [{"run_id": r.run_id, "kind": r.kind, "status": r.status, "created_at": r.created_at,
             "machine": machine_label(r), "prompt_set": r.prompt_set.name, "models": sorted(r.models),
             "samples": samples.get(r.run_id, 0)} for r in q.newest_first(q.find(store, Run))]


def run_details(store: Store, run_id: str) -> dict[str, Any]:
    """One run's record plus how many of each per-run record it has; ``BundleError`` when unknown."""
    run = _known_run(store, run_id)
    counts = {table: len(store.find(table, run_id=run_id)) for table in PER_RUN}
    return {"run": run.as_dict(), "machine": machine_label(run),
            "counts": counts, "decisions": _deciding(store, run_id)}


def delete_run(store: Store, run_id: str) -> dict[str, int]:
    """Delete a run and every record tied to it (samples, judgments, verdicts, grades, jobs); return counts.

    Refused while the run is queued or running (its worker would write into a run that is gone), and
    while a decision names it: a decision record is never edited and must keep its evidence, so the
    sentence tells the user to keep the run (decisions are evidence for an audit, not clutter)."""
    with store.transaction():
        run = _known_run(store, run_id)
        if not q.is_finished(run):
            raise BundleError(f"Run {run_id} is still {run.status}: cancel it or wait for it to end, then delete it.")
        deciding = _deciding(store, run_id)
        if deciding:
            raise BundleError(f"Run {run_id} is evidence in decision {', '.join(deciding)}; a decision keeps its "
                              "evidence, so the run stays.")
        removed = {table: store.remove_where(table, run_id=run_id) for table in (*PER_RUN, Table.JOBS)}
        store.remove(Table.RUNS, run.stored_id)
    return removed


def _known_run(store: Store, run_id: str) -> Run:
    run = q.get_run(store, run_id)
    if run is None:
        raise BundleError(f"No run {run_id!r} in this store: python cli.py runs list shows the runs there are.")
    return run


def _deciding(store: Store, run_id: str) -> list[str]:
    """Ids of the decisions that name ``run_id`` among their evidence."""
    return [d.decision_id for d in q.find(store, Decision) if run_id in d.run_ids]
