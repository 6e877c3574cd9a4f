"""Answer engine: question analysis, evidence selection, composers, verification and renderers."""
