"""The Slack adapter: a slack-bolt ``AsyncApp`` mounted in the hub at ``/slack/events``, and the
multi-workspace OAuth install (see docs/slack.md)."""
