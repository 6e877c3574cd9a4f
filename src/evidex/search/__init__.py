"""Search: query handling, the lexical index's ranking, and the one Retriever everything uses."""
