"""Scoring: the pledge, score sheets and their rules, autosave, consensus, and a round's progress."""
