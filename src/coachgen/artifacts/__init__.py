"""Coaching artifacts, one module each, built from records, retrieved sources and model prose."""
