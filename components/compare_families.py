"""The model families on the "With and without GPU" tab: which family each selected model pairs under, and
the family tag of an endpoint model, editable (the same model served on two machines pairs once both carry
one tag). The table comes from ``core.compare.devices.family_table``; ``save`` is the page's
``core.models.specs.set_family``. Model ids and tags are untrusted: the table shows them as cells, and the
confirmation goes through ``components.safe_text``.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from components.safe_text import md


def family_editor(families: pd.DataFrame, save: Callable[[str, str], None], *, key: str) -> None:
    """The families table, then a tag editor for the models whose family a tag decides."""
    st.markdown("**Model families**")
    st.caption("Runs of one family pair across machines, devices and execution providers. A family is the one "
               "the run recorded (Foundry Local's alias, or an endpoint's tag when it ran), else the model's "
               "family tag, else its model id.")
    st.dataframe(families[["model", "family", "from"]], hide_index=True, key=f"{key}-table")
    confirmed = st.session_state.pop(f"{key}-saved", None)
    if confirmed:
        st.success(confirmed, icon=":material/link:")
    editable = families[families["editable"]]
    if editable.empty:
        return
    tags = dict(zip(editable["model"], editable["tag"], strict=True))
    ref_col, tag_col, save_col = st.columns([3, 2, 1], vertical_alignment="bottom")
    ref = ref_col.selectbox("Endpoint model", list(tags), key=f"{key}-model")
    tag = tag_col.text_input("Family tag", value=tags.get(ref) or "", key=f"{key}-tag-{ref}",
                             help="The same name on two models pairs them (e.g. qwen2.5-0.5b); empty clears it.")
    if save_col.button("Save tag", key=f"{key}-save", icon=":material/sell:"):
        save(ref, tag)
        st.session_state[f"{key}-saved"] = (
            md("{model} is now in family {family}; the speed-ups above pair by it.", model=ref, family=tag.strip())
            if tag.strip() else md("{model} has no family tag now; it pairs by its model id.", model=ref))
        st.rerun()
