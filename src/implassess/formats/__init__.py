"""The one door for every declarative file: instrument, battery, assessment, theme,
mapping, targets, norms and conformance cases.

Each file goes TOML/JSON → a guarded reader (size and nesting limits) → a strict cattrs
converter → records; every problem is reported at once with its key path.
"""
