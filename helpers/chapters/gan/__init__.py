"""Chapter 11: Generative adversarial networks (demos, answers, checks)."""
