"""Chat adapters: they parse a platform's requests, call ``postflow.chatops`` and render the
replies. Today: ``slack`` (slack-bolt)."""
