"""The Models page's table: what a source does not say is said in words, never a blank cell."""

from __future__ import annotations

from components.model_table import NOT_REPORTED, models_frame
from core.engines.base import ModelEntry
from core.models.sources import SourceListing


def test_an_endpoint_model_says_why_its_device_size_and_license_are_missing() -> None:
    listings = [SourceListing("ollama", [ModelEntry(source="ollama", model_id="qwen", state="remote")]),
                SourceListing("foundry-local", [ModelEntry(source="foundry-local", model_id="small:1", device="CPU",
                                                           execution_provider="CPUExecutionProvider", size_mb=812.0,
                                                           license="MIT")])]
    frame = models_frame(listings).set_index("ref")
    endpoint = frame.loc["ollama:qwen"]
    assert {endpoint[c] for c in ("device", "execution_provider", "size_mb", "license")} == {NOT_REPORTED}
    local = frame.loc["foundry-local:small:1"]
    assert (local["device"], local["size_mb"], local["license"]) == ("CPU", "812.0", "MIT")
    assert all(str(cell).strip() for cell in frame.to_numpy().ravel())
