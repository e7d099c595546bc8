"""Per-chapter checks and catalogues of known wrong answers for the graded test cells."""
