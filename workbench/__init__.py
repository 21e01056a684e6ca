"""The reviewers' workbench (issue #17): a server-rendered web application on the warehouse.

Monitoring staff work the risk flag queue, read the evidence and the
enterprise, and record decisions in risk.flag_reviews. Every query runs on a
PostgreSQL connection of the person's own login, so warehouse/roles.yaml, not
this package, decides what each person may see.
"""
