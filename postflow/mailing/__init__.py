"""Mailing people: recording and queueing mail (outbox), sending it once (delivery), who wants
what (recipients), members' addresses and preferences, the wording, and the notice sink. The
values and ports they use are in :mod:`postflow.email`."""
