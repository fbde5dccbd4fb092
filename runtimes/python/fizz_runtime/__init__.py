"""Fizz's Python runtime: Fission's Python environment contract on the standard library."""
