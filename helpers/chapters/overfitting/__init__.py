"""Chapter 04: Overfitting, generalization and regularization (demos, answers, checks)."""
