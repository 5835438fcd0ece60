"""Keeping what was read: datasets, uploads and saved mappings, snapshots, and the filtered queries over a
dataset's pilots. Imports ingest and schema only."""
