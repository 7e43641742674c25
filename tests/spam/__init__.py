"""The spam filter in the product: pipeline stage, learning, digest, CLI."""
