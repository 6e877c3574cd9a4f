"""Evidex: a clinical evidence answer engine that runs offline on one machine."""

__version__ = "0.1.0"
