"""Applications (申报): organization profile, self-assessment, evidence files and eligibility screening."""
