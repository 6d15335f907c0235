"""Quality against latency: which ranked models no other model beats on both (the Pareto frontier).

Models missing either value are listed with the reason, never placed on a guessed value.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.decide.ranking import Ranking


@dataclass(frozen=True)
class ParetoPoint:
    """A model on the quality-vs-latency chart; it is on the frontier when no model dominates it."""

    ref: str
    quality: float
    latency_s: float
    dominated_by: tuple[str, ...]

    @property
    def on_frontier(self) -> bool:
        return not self.dominated_by


@dataclass(frozen=True)
class Pareto:
    points: tuple[ParetoPoint, ...]
    not_plotted: dict[str, str]  # ref -> which value is missing


def pareto_quality_latency(ranking: Ranking) -> Pareto:
    """Which ranked models are dominated: another is at least as good on quality (higher) and latency (lower)
    and strictly better on one. Models missing either value are listed, not guessed."""
    plotted, not_plotted = [], {}
    for m in ranking.ranked:
        quality, latency = m.values.get("quality"), m.values.get("latency")
        if quality is None or latency is None:
            not_plotted[m.ref] = "no quality grades" if quality is None else "no latency figure"
        else:
            plotted.append((m.ref, quality, latency))
    points = tuple(
        ParetoPoint(ref, q, lat, tuple(o for o, oq, olat in plotted
                                       if oq >= q and olat <= lat and (oq > q or olat < lat)))
        for ref, q, lat in plotted
    )
    return Pareto(points, not_plotted)
