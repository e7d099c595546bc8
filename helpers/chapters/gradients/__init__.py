"""Chapter 02: gradients and gradient descent (demos, answers, checks)."""
