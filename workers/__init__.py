"""Dramatiq actors, the scheduler and the process entry points; configure the broker first."""
