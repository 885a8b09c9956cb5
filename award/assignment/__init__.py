"""Assignment of experts to applications: the optimal and seeded-random solver and its instances."""
