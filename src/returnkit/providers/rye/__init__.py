"""Rye GraphQL: the (deprecated) returnOrder mutation and the order it returns."""
