"""Kibo OMS v2 (formerly Shopatron): returns created, searched, processed and reopened."""
