"""Exports of a decision record: Markdown, JSON, CSV, self-contained HTML and PDF.

Markdown and HTML are rendered from ONE list of blocks (headings, paragraphs, bullets, tables), so
they always say the same thing and every piece of text passes through the renderer's escaper: model
references, licenses, reasons and anything a person or a model typed appear as literal text, never
as markup (a ``<script>`` or ``[x](http://evil)`` stays visible, inert text). Every escaper, like the CSV
cells (neutralised where a spreadsheet would evaluate them: ``= + - @``) and the JSON, comes from
``core.untrusted_text``, so right-to-left overrides and zero-width characters are made visible in every
format, where they could otherwise disguise one model as another. The HTML needs nothing from the network:
inline CSS, and the Decide page's own plotly figures (``core.decide.charts``) drawn as SVG by kaleido in the
system Chromium and inlined inert (``core.inline_svg``), so it opens offline and prints to PDF with the same
Chromium. Without Chromium the HTML still comes out, with each chart's numbers as a table instead.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.chart_images import ChartImagesUnavailable, browser_path, figure_images
from core.decide.charts import record_charts
from core.decide.gaps import device_text, why_missing
from core.decide.ranking import DIGITS, evidence_text
from core.decide.settings import CRITERION_LABELS, MISSING_DATA_RULES
from core.inline_svg import inline_svg
from core.untrusted_text import csv_cell, html_escape, json_text, md_inert

CHART_WIDTH = 900  # px: the page's 960 px column less its padding
MISSING = "missing"
FORMAT = "pickwise-decision"
FORMAT_VERSION = 1


class PdfUnavailable(RuntimeError):
    """Chromium is missing or failed, so no PDF could be printed (the HTML export has the same content)."""


# ------------------------------------------------------------------ blocks


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: str
    label: str = ""


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """Where one of the record's Decide charts goes (a ``core.decide.charts.DecideCharts`` field name);
    only the HTML shows it, drawn as SVG."""

    name: str


@dataclass(frozen=True)
class Svg:
    """A chart as the HTML shows it: kaleido's SVG, made inert by ``core.inline_svg``."""

    title: str
    markup: str


@dataclass(frozen=True)
class Quote:
    """Text a model or a prompt wrote, shown as a quotation apart from the record's own words (line breaks
    kept), and escaped like everything else."""

    label: str
    text: str


Block = Heading | Para | Bullets | Table | Chart | Svg | Quote


def _num(value: float | None, digits: int = 2, unit: str = "") -> str:
    return MISSING if value is None else f"{value:,.{digits}f}{unit}"


def _pct(value: float | None, digits: int = 0) -> str:
    return MISSING if value is None else f"{100 * value:.{digits}f}%"


def _with_ci(value: float | None, ci: Sequence[float] | None, digits: int, unit: str = "") -> str:
    if value is None:
        return MISSING
    text = _num(value, digits, unit)
    return text if not ci else f"{text} (95% CI {ci[0]:.{digits}f}–{ci[1]:.{digits}f})"


def _label(key: str) -> str:
    return CRITERION_LABELS.get(key, key)


NONE_QUALIFIES = "none: no model qualifies"


def _blocks(record: Mapping[str, Any]) -> list[Block]:
    """The whole report, in decision-record order."""
    head = [
        Heading(1, f"Decision: {record['title']}"),
        Bullets((f"Status: {record['status']}", f"Date: {record['decided_on']}",
                 f"Decision-makers: {', '.join(record['decision_makers']) or 'not named'}",
                 f"Chosen model: {record['chosen'] or NONE_QUALIFIES}", f"Runs: {', '.join(record['run_ids'])}")),
        Heading(2, "Context"), Para(record.get("context") or "No context given."), *_drivers(record),
    ]
    if record.get("no_model_qualifies"):
        return [*head, *_nobody(record), *_evidence(record)]
    return [*head, *_options(record), *_outcome(record), *_consequences(record), *_compared(record),
            *_evidence(record)]


def _nobody(record: Mapping[str, Any]) -> list[Block]:
    """A decision that no model qualifies: who was considered and every constraint each one failed."""
    return [
        Heading(2, "Options considered"),
        Table(("model", "why it does not qualify"), tuple((e["ref"], "; ".join(e["reasons"]))
                                                          for e in record["excluded"])),
        Heading(2, "Outcome"), Para(NONE_QUALIFIES, "Chosen"), Para(lead_sentence(record), "Why"),
        Heading(2, "Consequences"), Para(record.get("consequences") or "None stated."),
    ]


def _drivers(record: Mapping[str, Any]) -> list[Block]:
    settings, applied = record["settings"], record["weights_applied"]
    rows = tuple((_label(c["key"]), "higher is better" if c["higher_is_better"] else "lower is better",
                  f"{c['weight']:g}", _pct(applied.get(c["key"]), 1), c["normalisation"])
                 for c in settings["criteria"])
    blocks: list[Block] = [
        Heading(2, "Decision drivers"),
        Table(("criterion", "direction", "weight given", "share applied", "normalisation"), rows),
        Para(f"Latency is compared on the {settings['latency_stat']} end-to-end time.", "Latency"),
        Para("; ".join(_constraint_texts(settings["constraints"])) or "none", "Hard constraints"),
        Para(", ".join(f"{k} = {v:g}" for k, v in settings["license_scores"].items())
             + "; any other license counts as missing.", "License scores"),
    ]
    if record["dropped"]:
        blocks.append(Bullets(tuple(f"{_label(k)} dropped: {why}" for k, why in record["dropped"].items())))
    return blocks


def _constraint_texts(c: Mapping[str, Any]) -> list[str]:
    texts = [f"{name} {_num(c[key], digits)}{unit}" for key, name, digits, unit in (
        ("max_memory_mb", "memory at most", 0, " MB"), ("max_disk_mb", "disk at most", 0, " MB"),
        ("max_p95_latency_s", "p95 latency at most", 2, " s"), ("min_quality", "quality at least", 2, " / 5"),
    ) if c.get(key) is not None]
    if c.get("allowed_licenses") is not None:
        texts.append(f"licenses allowed: {', '.join(c['allowed_licenses']) or 'none'}")
    if texts:
        texts.append("unknown values pass" if c.get("unknown_passes") else "unknown values fail")
    return texts


def _weighted(record: Mapping[str, Any]) -> list[str]:
    return [k for k, share in record["weights_applied"].items() if share > 0]


UNITS = {"latency": " s", "throughput": " tok/s", "memory": " MB", "quality": " / 5", "footprint": " MB",
         "license": ""}


def figure_text(m: Mapping[str, Any], key: str) -> str:
    """One ranked figure with what stands behind it: ``1.02 s (n=12, 95% CI 0.95–1.10)``, or why it is missing."""
    value = m["values"].get(key)
    if value is None:
        return evidence_text(m, key)  # "missing: " and why
    return f"{_num(value, DIGITS[key], UNITS[key])} ({evidence_text(m, key)})"


def _options(record: Mapping[str, Any]) -> list[Block]:
    keys = _weighted(record)
    rows = tuple((str(m["rank"]), m["ref"], _num(m["score"], 1),
                  *(f"{figure_text(m, k)}; {_num(m['contributions'][k], 1)} pts" for k in keys))
                 for m in record["ranked"])
    rule = record["settings"].get("missing_data", "drop")
    blocks: list[Block] = [
        Heading(2, "Options considered"),
        Table(("rank", "model", "score /100", *(_label(k) for k in keys)), rows),
        Para(MISSING_DATA_RULES.get(rule, rule), "A model missing a weighted figure"),
        Chart("contributions"),
        Heading(3, "Excluded"),
        Bullets(tuple(f"{e['ref']}: {'; '.join(e['reasons'])}" for e in record["excluded"]) or ("none",)),
        Heading(3, "Quality against latency (Pareto frontier)"),
    ]
    points = record["pareto"]["points"]
    if points:
        blocks.append(Chart("pareto"))
    lines = [f"{p['ref']}: on the frontier" if p["on_frontier"]
             else f"{p['ref']}: dominated by {', '.join(p['dominated_by'])}" for p in points]
    lines += [f"{ref}: not plotted ({why})" for ref, why in record["pareto"]["not_plotted"].items()]
    blocks.append(Bullets(tuple(lines) or ("none",)))
    return blocks


def _by_ref(record: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {m["ref"]: m for m in record["ranked"]}


def lead_sentence(record: Mapping[str, Any]) -> str:
    """The comparison in words with its interval (``core.decide.lead``); a record from before the noise
    verdict existed gets its lead from the ranked scores."""
    if record.get("no_model_qualifies"):
        return (f"No model qualifies: each of the {len(record['excluded'])} models considered fails a hard "
                "constraint or the rule for missing data (listed above); relax a limit or benchmark other models.")
    lead = record["sensitivity"].get("lead")
    if lead:
        return lead["sentence"]
    ranked = record["ranked"]
    ahead = (f", {_num(ranked[0]['score'] - ranked[1]['score'], 1)} points ahead of {ranked[1]['ref']}"
             if len(ranked) > 1 else "")
    return f"{ranked[0]['ref']} ranks first with {_num(ranked[0]['score'], 1)} of 100{ahead}."


def win_text(record: Mapping[str, Any], ref: str) -> str:
    sens = record["sensitivity"]
    drawn = "random weightings around the chosen weights" + (", measurements resampled" if sens.get("noise") else "")
    return f"{ref} wins {_pct(sens['probabilities'].get(ref, 0.0))} of {sens['draws']} {drawn}"


def _why(record: Mapping[str, Any]) -> str:
    chosen, top = _by_ref(record)[record["chosen"]], record["ranked"][0]
    if record["chosen"] != record["top_ranked"]:
        return (f"{chosen['ref']} (rank {chosen['rank']}, {_num(chosen['score'], 1)} of 100) was chosen over the "
                f"top-ranked {top['ref']} ({_num(top['score'], 1)}); {lead_sentence(record)} "
                f"{win_text(record, chosen['ref'])}. Reason for the override: {record['override_reason']}")
    return f"{lead_sentence(record)} {win_text(record, top['ref'])}."


def _flip_text(share: float | None, winner: str | None) -> str:
    return "holds at any weight" if share is None else f"{_pct(share, 1)} ({winner} wins)"


def _outcome(record: Mapping[str, Any]) -> list[Block]:
    sens = record["sensitivity"]
    flips = tuple((_label(f["criterion"]), _pct(f["weight"], 1), _flip_text(f["lower"], f["lower_winner"]),
                   _flip_text(f["upper"], f["upper_winner"])) for f in sens["flips"])
    wins = tuple((ref, _pct(p, 1)) for ref, p in sorted(sens["probabilities"].items(), key=lambda kv: -kv[1]))
    return [
        Heading(2, "Outcome"), Para(record["chosen"], "Chosen"), Para(_why(record), "Why"),
        Heading(3, "Sensitivity"),
        Para("Each weight moved on its own, the others keeping their proportions: the share below or above "
             "which the top-ranked model would change."),
        Table(("criterion", "weight now", "winner changes below", "winner changes above"), flips),
        Chart("tornado"),
        Para(f"Weights drawn {sens['draws']} times from a Dirichlet around the chosen ones (concentration "
             f"{sens['concentration']:g}, seed {sens['seed']})"
             + ("; in each draw the measured figures resampled from the runs' samples." if sens.get("noise")
                else "; the measured figures held as measured.")),
        Table(("model", "wins"), wins),
        Chart("win"),
    ]


def _candidate(record: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    return next(c for c in record["candidates"]["candidates"] if c["ref"] == ref)


def _resource(scored: Mapping[str, Any], c: Mapping[str, Any], key: str, field: str, source: str) -> str:
    """A resource figure as the ranking used it (a value entered by hand included), else as measured."""
    value = scored["values"].get(key)
    if value is None:
        value = c[field]
    if value is None:
        return f"{MISSING}: {why_missing(c['ref'], key)}"
    return f"{_num(value, 0, ' MB')} ({'entered by hand' if key in scored.get('entered', ()) else c[source]})"


def _consequences(record: Mapping[str, Any]) -> list[Block]:
    c, scored = _candidate(record, record["chosen"]), _by_ref(record)[record["chosen"]]
    items = [
        f"Resources: memory {_resource(scored, c, 'memory', 'memory_mb', 'memory_source')}, "
        f"disk {_resource(scored, c, 'footprint', 'disk_mb', 'disk_source')}, "
        f"device {device_text(c['ref'], c['device'])}.",
        f"License: {c['license'] or 'unknown, ' + why_missing(c['ref'], 'license')}.",
        f"Speed: latency mean {_num(c['latency_mean_s'], 2, ' s')}, p95 {_num(c['latency_p95_s'], 2, ' s')}, "
        f"{_num(c['throughput_tps'], 1)} tokens/s.",
    ]
    if scored.get("entered"):
        items.append(f"Entered by hand, not measured: {', '.join(_label(k) for k in scored['entered'])}.")
    lead = record["sensitivity"].get("lead") or {}
    if record["chosen"] in [lead.get("leader"), *lead.get("tied", ())] and lead.get("tied"):
        items.append("The evidence does not separate the tied models: " + lead["sentence"])
    win = record["sensitivity"]["probabilities"].get(record["chosen"], 0.0)
    if win < 0.8:
        items.append(f"The choice depends on the weights: it wins only {_pct(win)} of random weightings.")
    return [Heading(2, "Consequences"), Para(record.get("consequences") or "None stated."), Bullets(tuple(items))]


def _environment(env: Mapping[str, Any]) -> str:
    parts = [env.get("cpu"), f"{env['ram_gb']} GB RAM" if env.get("ram_gb") else None, env.get("os")]
    return ", ".join(str(p) for p in parts if p) or "not recorded"


def _quality(ref: str, q: Mapping[str, Any] | None) -> str:
    if not q or q.get("mean") is None:
        return f"{MISSING}: {why_missing(ref, 'quality')}"
    ci = (q["ci95_low"], q["ci95_high"]) if q.get("ci95_low") is not None and q.get("ci95_high") is not None else None
    return f"{_with_ci(q['mean'], ci, 2)}, n={q.get('n', '?')}"


def _evidence(record: Mapping[str, Any]) -> list[Block]:
    runs = tuple((r["run_id"], r.get("created_at") or MISSING, r.get("prompt_set") or MISSING,
                  str(r.get("n_prompts", MISSING)), str((r.get("settings") or {}).get("rounds", MISSING)),
                  _environment(r.get("environment") or {})) for r in record["evidence"]["runs"])
    models = tuple((c["ref"], c["run_id"] or MISSING, str(c["n_samples"]),
                    _with_ci(c["latency_mean_s"], c["latency_ci95"], 2, " s"),
                    _with_ci(c["latency_p95_s"], c.get("latency_p95_ci95"), 2, " s"),
                    f"{_with_ci(c['throughput_tps'], c['throughput_ci95'], 1)}, "
                    f"n={c.get('throughput_n') if c.get('throughput_n') is not None else c['n_samples']}",
                    _quality(c["ref"], c["quality"]), "; ".join(c["warnings"]) or "none")
                   for c in record["candidates"]["candidates"])
    blocks: list[Block] = [
        Heading(2, "Evidence"),
        Table(("run", "created", "prompt set", "prompts", "rounds", "machine"), runs),
        Table(("model", "run", "samples", "latency mean", "latency p95", "tokens/s", "quality", "caveats"), models),
    ]
    blocks += _quality_grading(record["evidence"].get("quality_source") or {})
    if record["evidence"]["notes"]:
        blocks += [Heading(3, "Notes"), Bullets(tuple(record["evidence"]["notes"]))]
    return blocks


def _quality_grading(described: Mapping[str, Any]) -> list[Block]:
    """Where quality came from; for a judge its qualification verdict per run, in its own words, and the
    reason quoted when an unqualified judge's scores were used anyway."""
    source = dict(described)
    override = source.pop("override_unqualified", None)
    gates = source.pop("qualification", None) or {}
    if not source and not gates:
        return []
    blocks: list[Block] = [Heading(3, "Quality grading"), Bullets(tuple(f"{k}: {_flat(v)}" for k, v in source.items()))]
    blocks += [Para(gate.get("verdict") or ("qualified" if gate.get("qualified") else "not qualified"),
                    f"Judge qualification in run {run_id}") for run_id, gate in gates.items()]
    if override:
        blocks.append(Para(override, label="Scores of a judge that is not qualified for this rubric are used, "
                                           "because"))
    return blocks


def _grade_text(grade: Mapping[str, Any] | None) -> str:
    if not grade:
        return "not graded (no grade from the decision's quality source)"
    scores = "; ".join(f"{k} {v:g}" for k, v in grade["scores"].items())
    graders = f", mean of {grade['n_graders']} graders" if grade.get("n_graders", 1) > 1 else ""
    return f"{scores}; overall {grade['overall']:.2f} / 5 ({grade['graded_by']}{graders})"


def _answer_blocks(number: int, answer: Mapping[str, Any]) -> list[Block]:
    cut = (f"\n[cut here: the answer has {answer['response_chars']:,} characters]" if answer.get("truncated")
           else "")
    blocks: list[Block] = [
        Heading(4, f"Example {number}: prompt {answer['prompt_id']}"),
        Quote("Prompt", answer["prompt"] or "(no prompt text)"),
        Quote("Answer", (answer["response"] or "(the model gave an empty answer)") + cut),
        Para(_grade_text(answer.get("grade")), "Grade"),
    ]
    note = (answer.get("grade") or {}).get("note")
    if note:
        blocks.append(Para(note, "The judge's rationale"))
    return blocks


def _compared(record: Mapping[str, Any]) -> list[Block]:
    """The chosen model and the runner-up: every figure exactly as the ranking table gives it (value, n and
    95% interval), then their example answers, verbatim, beside their grades."""
    compared = record["evidence"].get("examples") or []
    if not compared:
        return []
    ranked = _by_ref(record)
    blocks: list[Block] = [
        Heading(2, "The chosen model and the runner-up"),
        Para("Every figure as the ranking table gives it, then two or three of each model's answers beside "
             "their grades (the lowest, middle and highest scored), quoted as the model wrote them."),
    ]
    for entry in compared:
        m = ranked[entry["ref"]]
        blocks += [Heading(3, f"{entry['ref']} ({entry['role']}, rank {m['rank']}, {_num(m['score'], 1)} of 100)"),
                   Table(("criterion", "figure (n, 95% CI)"),
                         tuple((_label(k), figure_text(m, k)) for k in m["values"]))]
        answers = entry.get("answers") or []
        if not answers:
            blocks.append(Para("No answers of this model are stored (its run's samples were removed)."))
        for number, answer in enumerate(answers, start=1):
            blocks += _answer_blocks(number, answer)
    return blocks


def _flat(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_flat(v)}" for k, v in value.items())
    return f"{value:.3g}" if isinstance(value, float) else str(value)


# ------------------------------------------------------------------ Markdown


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _md_block(block: Block) -> str:
    md_escape = md_inert  # literal text, and no bare URL, www. name or e-mail address turned into a live link
    match block:
        case Heading(level, text):
            return f"{'#' * level} {md_escape(text)}"
        case Para(text, label):
            lead = f"**{md_escape(label)}:** " if label else ""
            return lead + "\n\n".join(md_escape(line) for line in text.splitlines() if line.strip())
        case Bullets(items):
            return "\n".join(f"- {md_escape(i)}" for i in items)
        case Table(headers, rows):
            lines = [_md_row([md_escape(h) for h in headers]), _md_row(["---"] * len(headers))]
            return "\n".join(lines + [_md_row([md_escape(c) for c in row]) for row in rows])
        case Quote(label, text):
            return f"**{md_escape(label)}:**\n\n" + "\n>\n".join(
                f"> {md_escape(line)}" for line in text.splitlines() if line.strip())
        case Chart():  # Markdown has the numbers in its tables; charts are the HTML's
            return ""
    raise TypeError(f"unknown block {block!r}")


def to_markdown(record: Mapping[str, Any]) -> str:
    """The record as a Markdown decision record (context, drivers, options, outcome, consequences, evidence)."""
    return "\n\n".join(text for text in map(_md_block, _blocks(record)) if text) + "\n"


# ------------------------------------------------------------------ JSON and CSV


def to_json(record: Mapping[str, Any]) -> str:
    """Everything needed to recompute the decision (``core.decide.decision.recompute``), as stable JSON."""
    body = {k: v for k, v in record.items() if k != "_id"}
    return json_text(json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, **body}, indent=2,
                                sort_keys=True, ensure_ascii=False))


def _csv_cell(value: Any) -> Any:
    """Floats to 6 decimals (enough for any score or share); the rest as every export neutralises cells."""
    return round(value, 6) if isinstance(value, float) else csv_cell(value)


CSV_PARTS = ("value", "n", "ci95_low", "ci95_high", "source", "normalised", "points")


def _csv_parts(m: Mapping[str, Any], key: str) -> list[Any]:
    evidence = (m.get("evidence") or {}).get(key) or {}
    ci = evidence.get("ci95") or (None, None)
    source = "entered by hand" if key in m.get("entered", ()) else evidence.get("source")
    return [m["values"][key], evidence.get("n"), ci[0], ci[1], source, m["normalised"][key], m["contributions"][key]]


def to_csv(record: Mapping[str, Any]) -> str:
    """The scored table: one row per ranked model (per criterion its raw value with n, 95% interval and
    source, its 0..1 value and points; the win probability and whether it is in a statistical tie with the
    top), then one per excluded model with its reasons."""
    keys = [c["key"] for c in record["settings"]["criteria"]]
    header = ["status", "rank", "model", "chosen", "score", "win_probability", "statistical_tie_with_top",
              *(f"{k}_{part}" for k in keys for part in CSV_PARTS), "reasons"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    probabilities = record["sensitivity"]["probabilities"]
    lead = record["sensitivity"].get("lead") or {}
    tied = {lead.get("leader"), *lead.get("tied", ())} if lead.get("tied") else set()
    for m in record["ranked"]:
        per = [x for k in keys for x in _csv_parts(m, k)]
        writer.writerow([_csv_cell(v) for v in ("ranked", m["rank"], m["ref"], m["ref"] == record["chosen"],
                                                m["score"], probabilities.get(m["ref"]), m["ref"] in tied, *per, "")])
    for e in record["excluded"]:
        row = ["excluded", None, e["ref"], False, None, None, None, *([None] * len(CSV_PARTS) * len(keys)),
               "; ".join(e["reasons"])]
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()


# ------------------------------------------------------------------ HTML and PDF

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:960px;margin:2em auto;padding:0 1em;
color:#1f2328;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #4e79a7;padding-bottom:.2em}h2{margin-top:1.6em;font-size:1.25em}
table{border-collapse:collapse;margin:.6em 0;font-size:.85em}th,td{border:1px solid #d0d7de;padding:.25em .5em;
text-align:left;vertical-align:top}th{background:#f6f8fa}figure{margin:.8em 0}figcaption{font-size:.85em;color:#555}
svg{max-width:100%;height:auto}blockquote{margin:-.6em 0 .8em;padding:.4em .8em;border-left:3px solid #d0d7de;
background:#f6f8fa;white-space:pre-wrap;overflow-wrap:anywhere}
@media print{h2{break-after:avoid}table,figure,blockquote{break-inside:avoid}}
"""


def _html_block(block: Block) -> str:
    e = html_escape
    match block:
        case Heading(level, text):
            return f"<h{level}>{e(text)}</h{level}>"
        case Para(text, label):
            lead = f"<strong>{e(label)}:</strong> " if label else ""
            return f"<p>{lead}{e(text).replace(chr(10), '<br>')}</p>"
        case Bullets(items):
            return "<ul>" + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul>"
        case Table(headers, rows):
            head = "".join(f"<th>{e(h)}</th>" for h in headers)
            body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
            return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        case Quote(label, text):
            return f"<p><strong>{e(label)}:</strong></p><blockquote>{e(text)}</blockquote>"
        case Svg(title, markup):
            return f'<figure aria-label="{e(title)}">{markup}</figure>'
    raise TypeError(f"unknown block {block!r}")


def _cell(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return _num(value) if isinstance(value, float) else str(value)


def _numbers(data: pd.DataFrame) -> Table:
    return Table(tuple(map(str, data.columns)),
                 tuple(tuple(map(_cell, row)) for row in data.itertuples(index=False, name=None)))


def _draw_charts(blocks: list[Block], record: Mapping[str, Any], chromium: Path | None) -> list[Block]:
    """``blocks`` with each ``Chart`` drawn: the record's figure as kaleido's SVG, every chart in one chromium
    session; when none can be drawn (no chromium, kaleido failing), a sentence saying why and the chart's
    numbers as a table, so the report is complete either way."""
    if not any(isinstance(b, Chart) for b in blocks):  # a record where no model qualifies has nothing to chart
        return blocks
    charts = record_charts(record)
    wanted = {b.name: getattr(charts, b.name) for b in blocks if isinstance(b, Chart)}
    try:
        images = figure_images([c.figure for c in wanted.values()], fmt="svg", width=CHART_WIDTH, browser=chromium)
        shown = {name: [Svg(chart.title, inline_svg(image, f"chart{i}-"))]
                 for i, ((name, chart), image) in enumerate(zip(wanted.items(), images, strict=True))}
    except (ChartImagesUnavailable, ValueError) as exc:
        shown = {name: [Para(f"{chart.title}: not drawn: {exc}. Its numbers:"), _numbers(chart.data)]
                 for name, chart in wanted.items()}
    return [drawn for b in blocks for drawn in (shown[b.name] if isinstance(b, Chart) else [b])]


def to_html(record: Mapping[str, Any], *, chromium: Path | None = None) -> str:
    """One self-contained page (inline CSS and SVG, no script, no network) with the Markdown's content and
    the Decide page's charts, drawn with ``chromium`` (default: ``core.chart_images.browser_path()``)."""
    body = "\n".join(_html_block(b) for b in _draw_charts(_blocks(record), record, chromium))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Decision: '
            f"{html_escape(record['title'])}</title><style>{_CSS}</style></head><body>\n{body}\n</body></html>\n")


def to_pdf(record: Mapping[str, Any], *, chromium: Path | None = None, timeout_s: float = 120) -> bytes:
    """The HTML printed by headless Chromium; ``PdfUnavailable`` (with the way out) when it cannot be."""
    chromium = chromium if chromium is not None else browser_path()
    if not chromium.is_file():
        raise PdfUnavailable(f"PDF export needs Chromium at {chromium} (Debian: apt-get install chromium); "
                             "download the HTML report instead, it has the same content.")
    with tempfile.TemporaryDirectory(prefix="pickwise-pdf-") as tmp:
        page, pdf = Path(tmp) / "decision.html", Path(tmp) / "decision.pdf"
        page.write_text(to_html(record, chromium=chromium), encoding="utf-8")
        command = [str(chromium), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp}/profile",
                   "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfUnavailable(f"Chromium did not finish the PDF within {timeout_s:g} s.") from exc
        if not pdf.exists() or pdf.stat().st_size == 0:
            raise PdfUnavailable(f"Chromium could not print the PDF (exit {done.returncode}): {done.stderr[-400:]}")
        return pdf.read_bytes()


def filename(record: Mapping[str, Any], extension: str) -> str:
    """A download name such as ``decision-assistant-model-2026-11-28.md`` (safe on every file system)."""
    slug = re.sub(r"[^a-z0-9]+", "-", record["title"].lower()).strip("-")[:40] or "record"
    return f"decision-{slug}-{record['decided_on']}.{extension}"
