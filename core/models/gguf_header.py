"""A GGUF file's metadata, read with the standard library: enough to refuse a file before converting it.

Reading the header takes milliseconds and needs neither the conversion venv nor the weights, so "this is not
a GGUF file", "its architecture cannot be converted" and "it carries no tokenizer or chat template" are said
before a minute of conversion starts. Only the key/value section is read; tensors are never touched.
Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (versions 2 and 3: 64-bit counts).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import IO, Any

MAGIC = b"GGUF"
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_MAX_KEYS = 100_000  # a corrupt count must not loop for ever


class NotGguf(ValueError):
    """The file is not a readable GGUF file (the message says why)."""


def read_metadata(path: Path, wanted: frozenset[str]) -> dict[str, Any]:
    """The values of the ``wanted`` keys present in ``path``'s metadata (arrays are skipped: a wanted array
    key maps to its length). Raises ``NotGguf`` for a file that is not GGUF or is cut short."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != MAGIC:
                raise NotGguf(f"{path.name} does not start with the GGUF signature")
            version = _unpack(fh, "<I")
            if version < 2:
                raise NotGguf(f"{path.name} is GGUF version {version}; only versions 2 and later can be read")
            _unpack(fh, "<Q")  # tensor count
            count = _unpack(fh, "<Q")
            if count > _MAX_KEYS:
                raise NotGguf(f"{path.name} claims {count} metadata keys; the file is damaged")
            found: dict[str, Any] = {}
            for _ in range(count):
                key = _string(fh)
                value = _value(fh, _unpack(fh, "<I"), keep=key in wanted)
                if key in wanted:
                    found[key] = value
            return found
    except (struct.error, UnicodeDecodeError, MemoryError) as exc:
        raise NotGguf(f"{path.name} is cut short or damaged ({type(exc).__name__})") from exc


def _unpack(fh: IO[bytes], fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = fh.read(size)
    if len(data) != size:
        raise struct.error("unexpected end of file")
    return struct.unpack(fmt, data)[0]


def _string(fh: IO[bytes]) -> str:
    length = _unpack(fh, "<Q")
    data = fh.read(length)
    if len(data) != length:
        raise struct.error("unexpected end of file")
    return data.decode("utf-8")


def _value(fh: IO[bytes], kind: int, *, keep: bool) -> Any:
    if kind in _SCALARS:
        return _unpack(fh, _SCALARS[kind])
    if kind == _STRING:
        if keep:
            return _string(fh)
        fh.seek(_unpack(fh, "<Q"), 1)
        return None
    if kind == _ARRAY:
        item, length = _unpack(fh, "<I"), _unpack(fh, "<Q")
        if item in _SCALARS:
            fh.seek(struct.calcsize(_SCALARS[item]) * length, 1)
        else:
            for _ in range(length):
                _value(fh, item, keep=False)
        return length
    raise struct.error(f"unknown value type {kind}")
