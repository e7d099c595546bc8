"""Chapter 01: neurons, output layers and losses (demos, answers, checks)."""
