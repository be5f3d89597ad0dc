"""ABOUT YOU Sellers Center: orders, shipping, cancellations and returns (async batches)."""
