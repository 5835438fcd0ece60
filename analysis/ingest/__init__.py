"""Reading an upload: bytes and workbooks -> a raw table, its shape, the mapping onto the canonical record,
parsing and validation -> the canonical pilots. Imports nothing above it (no store, metrics or figures)."""
