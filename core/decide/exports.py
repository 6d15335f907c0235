"""Which files one ``cli.py decide`` call writes, in which formats: several exports of ONE decision.

A decision is recorded once, whatever number of files describe it (before, every export recorded another
decision). The formats come from ``--format`` (repeatable) and the files from ``--out`` (repeatable):

* as many formats as files: paired in order (``--format md --out notes.txt``);
* several formats, one file: that file's name with each format's extension (``--format md --format html
  --out decision.md`` writes ``decision.md`` and ``decision.html``);
* no format: each file's own extension says it (``--out a.md --out b.html``).

Every file is rendered before the first is written, so a format that cannot be made (a PDF without
Chromium) leaves no file behind, and the caller records the decision only after every file is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from core.output_file import write_output

# format -> its renderer in ``core.decide.report`` (imported when rendering: it loads pandas and plotly, and
# ``cli.py`` reads FORMATS for its flags on every command)
RENDERERS: dict[str, str] = {"md": "to_markdown", "html": "to_html", "json": "to_json", "csv": "to_csv",
                             "pdf": "to_pdf"}
FORMATS: tuple[str, ...] = tuple(RENDERERS)
_EXTENSIONS = {"markdown": "md", "htm": "html"} | {f: f for f in FORMATS}


def export_plan(formats: Sequence[str], outs: Sequence[str]) -> list[tuple[str, Path]]:
    """``[(format, path)]`` for the request, or ``ValueError`` in one sentence saying how to ask."""
    if not outs:
        raise ValueError("Give the file to write with --out FILE (repeatable, e.g. --out decision.md --out "
                         "decision.html).")
    paths = [Path(out) for out in outs]
    if not formats:
        return [(_format_of(path), path) for path in paths]
    if len(formats) == len(paths):
        return list(zip(formats, paths, strict=True))
    if len(paths) == 1:
        return [(fmt, paths[0].with_suffix(f".{fmt}")) for fmt in dict.fromkeys(formats)]
    raise ValueError(f"{len(formats)} formats for {len(paths)} files: give one --out per --format, or one --out "
                     "whose name each format's extension is put on.")


def _format_of(path: Path) -> str:
    found = _EXTENSIONS.get(path.suffix.lower().lstrip("."))
    if found is None:
        raise ValueError(f"Cannot tell the format of {path} from its extension: name it .{', .'.join(FORMATS)} "
                         "or add --format.")
    return found


def write_exports(record: Mapping[str, Any], plan: Sequence[tuple[str, Path]]) -> None:
    """Render every file of ``plan``, then write each whole (``core.output_file``); raises
    ``report.PdfUnavailable`` or ``OutputError`` with nothing written when rendering fails."""
    from core.decide import report

    rendered = [(path, getattr(report, RENDERERS[fmt])(record)) for fmt, path in plan]
    for path, content in rendered:
        write_output(path, content if isinstance(content, bytes) else content.encode("utf-8"))
