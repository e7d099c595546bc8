"""Chapter backprop wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

WRONG: dict[str, dict[str, str]] = {}
