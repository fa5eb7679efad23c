"""Layer classes, one family per module; ``mytorch.nn`` re-exports them."""
