"""Review: conflicts of interest (回避), assignment of experts, and scoring."""
