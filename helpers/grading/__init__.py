"""What runs in the grading kernel: the check library, the guard against delegating to a
reference, integrity restoration before each test, and how a failed check is displayed."""
