"""Chapter 05: Optimization and loss landscapes (demos, answers, checks)."""
