"""Loaders that turn knowledge files and CRM exports into documents and chunks."""
