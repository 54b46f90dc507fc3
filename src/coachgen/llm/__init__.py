"""Chat models (embedded llama.cpp or an OpenAI-compatible endpoint) and schema-constrained generation."""
