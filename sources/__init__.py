"""What agencies send: the agreement (`contracts/`) and the production reader.

`contract` (the agreement as data), `delivery` (manifests and files),
`formats` (CSV, JSONL, XLSX readers), `checks` (the contract's row checks),
`taxcode` (mã số thuế) and `faults` (whole-delivery defects). The simulated
economy lives apart, in `sources.synthetic`; production code never imports it.
"""
