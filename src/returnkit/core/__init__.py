"""The simulated world's machinery, provider-neutral: clock, store, journal, rate limits, seed."""
