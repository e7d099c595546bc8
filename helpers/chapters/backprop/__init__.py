"""Chapter 03: backpropagation and computation graphs (demos, answers, checks)."""
