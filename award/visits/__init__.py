"""On-site review logistics (现场评审): visits, their teams and itineraries, checklists, photos, the report."""
