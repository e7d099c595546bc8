"""Chapter 08: Recurrent networks (demos, answers, checks)."""
