"""Pickwise engine: everything that runs without Streamlit (engines, benchmark, grading, selection)."""
