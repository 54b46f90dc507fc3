"""Embeddings, the vector store, and the SQLite catalog with its lexical index."""
