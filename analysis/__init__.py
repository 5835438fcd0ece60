"""Pilot Outcomes engine: ingest, mapping, validation, store, queries, analyses and figures.

Nothing in this package imports Streamlit; pages call these functions and render what they return.
"""
