"""CLI subcommands, one module per stage; each defines ``register(sub)`` (see storyline.cli)."""
