"""What the agencies send: one module per agency (contract, parser, generator)."""
