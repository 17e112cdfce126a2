"""Adapters that plug aioresolve into other libraries (each imports its library lazily)."""
