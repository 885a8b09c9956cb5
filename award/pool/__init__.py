"""The expert pool (专家库): experts, their declared relations, availability and group links."""
