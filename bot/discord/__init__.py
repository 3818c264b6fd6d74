"""The Discord adapter: interactions parsed into the chat-neutral core's callers and commands."""
