"""The simulated Hải Phòng economy the tests, the demo and the benchmark stand on, and its truth scoring.

Build order (`generator.build_economy`): population (`economy`) → roles
(`scenarios`) → books (`finance`) → records (one module per agency:
`registry`, `tax`, `customs`, `land`, `labour`, `credit`, `fx`, written by
`generator.generate`). Ground truth goes to `_truth/` (`truth`); `score_links`
and `score_rules` score the warehouse against it. Production code
(`sources`' reader, `warehouse`, `pipelines`, `apps`, `workbench`) never
imports this package: an import-linter contract in pyproject.toml says so.
"""
