"""Public notice (公示): the approved list on a public page, its period, and real-name objections."""
