"""Chapter 06: Making deep networks train (demos, answers, checks)."""
