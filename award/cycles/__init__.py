"""Award cycles and their stage machine."""
