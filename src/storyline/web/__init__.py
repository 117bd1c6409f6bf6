"""The HTTP API and web pages (`storyline serve`): see app.create_app and docs/web.md."""
