class RetrievalUnavailable(RuntimeError):
    """A search that could not run (database error, embeddings down, breaker open): the caller
    goes on without passages."""
