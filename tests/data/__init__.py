"""Hand-made inputs for the tests: hostile cases and reproducers, built from real samples."""
