"""Ranking: aggregation of score sheets, the ranked list and the shortlist."""
