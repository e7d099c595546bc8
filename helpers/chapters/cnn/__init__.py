"""Chapter 07: Convolutional networks (demos, answers, checks)."""
