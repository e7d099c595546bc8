"""Chapter 10: Autoencoders, VAEs and normalizing flows (demos, answers, checks)."""
