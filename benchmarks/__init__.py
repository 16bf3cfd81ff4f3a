"""Benchmarks that report measured figures (speed, robustness); run them as modules."""
