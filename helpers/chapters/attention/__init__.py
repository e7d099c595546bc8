"""Chapter 09: Attention and transformers (demos, answers, checks)."""
