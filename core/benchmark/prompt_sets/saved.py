"""The prompt sets a user imported, kept in the ``prompt_sets`` table beside the built-in ones.

Built-in sets (``builtin``) cannot be overwritten; an imported set with the same name is refused, so a
run's ``prompt_set.name`` always says which questions were asked.
"""

from __future__ import annotations

from core.benchmark.prompt_sets.builtin import builtin_prompt_sets
from core.config import PromptItem
from core.jobs import utc_now
from store import Store, queries
from store.records import PromptSet, Table


def prompt_set_choices(store: Store) -> dict[str, list[dict]]:
    """Built-in sets first, then imported ones, as plain dicts ready for a run's settings."""
    choices = {name: [item.model_dump(exclude_none=True) for item in items]
               for name, items in builtin_prompt_sets().items()}
    for saved in sorted(queries.find(store, PromptSet), key=lambda s: s.name):
        choices.setdefault(saved.name, [p.as_dict() for p in saved.prompts])
    return choices


def save_prompt_set(store: Store, name: str, items: list[PromptItem]) -> None:
    """Store (or replace) an imported set. Raises ``ValueError`` for an empty or built-in name."""
    name = name.strip()
    if not name:
        raise ValueError("Give the prompt set a name.")
    if name in builtin_prompt_sets():
        raise ValueError(f"{name!r} is a built-in prompt set; import yours under another name.")
    prompts = [item.model_dump(exclude_none=True) for item in items]
    with store.transaction():
        store.remove_where(Table.PROMPT_SETS, name=name)
        queries.insert(store, PromptSet.build({"name": name, "prompts": prompts, "builtin": False,
                                               "created_at": utc_now()}))
