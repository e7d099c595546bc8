"""Course tooling: release, grading and benchmarks (used by the `dlcourse` command and the tests)."""
