"""Ingest: recognise an export by its header, decode it, parse it, load it with lineage."""
