"""Request-rate buckets shared by every hub: the Redis adapter of postflow.rate_limits."""
