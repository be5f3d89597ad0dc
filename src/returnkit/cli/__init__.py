"""Command-line adapters: parse, call the library, format, exit."""
