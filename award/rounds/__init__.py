"""Review rounds and their panels: round settings, opening and closing, drawing panels, seats."""
