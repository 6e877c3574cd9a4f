"""Offline evaluation: ranking metrics, benchmark datasets and the retrieval evaluation runner."""
