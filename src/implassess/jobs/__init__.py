"""The jobs: what a command does, callable from Python without click.

Each job takes records and paths, calls readers, ingest, scoring, outputs and report in
order, and returns a summary record. The CLI parses arguments and prints the summary.
"""
