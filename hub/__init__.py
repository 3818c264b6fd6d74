"""The aiohttp hub: signed incoming hooks, the sandbox's live posts, and health checks."""
