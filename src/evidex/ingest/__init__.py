"""Ingest: loaders that turn source files into Documents, grading, chunking, and the ingest runner."""
