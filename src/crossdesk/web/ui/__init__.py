"""Server-rendered UI: Jinja2 pages and htmx partials."""
