"""Development tools that need the simulated economy: the demo, the benchmark and truth scoring's commands."""
