"""Hook templates rendered by a sandboxed jinja2 (the core's HookTemplateEngine port)."""
