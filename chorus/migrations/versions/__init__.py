"""One module per catalog schema change, oldest first (``0001_baseline``: the schema of Chorus 780dcdc)."""
