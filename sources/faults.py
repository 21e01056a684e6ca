"""Delivery-level faults: a delivery broken as a whole is rejected, not loaded."""


class DeliveryFault(Exception):
    """One sentence that names the file and the check that failed.

    Raised anywhere between reading the manifest and the last row; the loader
    rolls the delivery's transaction back and records the sentence as the
    rejection reason in audit.deliveries.
    """


# What an engineer does about a delivery broken as a whole: the agreement's way to replace one (README
# "Later extracts win"), said at the end of each rejection sentence that has no more particular advice.
ASK_AGAIN = "ask the agency to deliver the period again (a new delivery_id, a later extracted_at)."
