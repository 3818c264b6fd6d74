"""Notices: what the core tells people, as events (:mod:`postflow.notices.events`) handed to
one router (:mod:`postflow.notices.router`) that gives each to every sink that wants it (a chat
platform, the log; email and outbound webhooks later), and the one notice that needs an answer
back: posting a review card (:mod:`postflow.notices.review_cards`)."""
