"""Kibo Commerce Returns: a state machine per return, payments, replacement orders, restock."""
