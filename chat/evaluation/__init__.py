"""Simulated customers: scenarios as data, run against the assistant on a fresh copy of the demo store, scored
on the database and the transcript (see evals/README.md)."""
