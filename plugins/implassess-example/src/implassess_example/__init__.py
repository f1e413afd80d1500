"""Example implassess plugin (see plugin.py)."""
