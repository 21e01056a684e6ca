"""Applications that read the warehouse: the review workflow of risk flags, the national FDI information system
export and the programme's indicators. They sit above `pipelines`; nothing below imports them."""
