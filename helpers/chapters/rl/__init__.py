"""Chapter 12: Reinforcement learning (demos, answers, checks)."""
