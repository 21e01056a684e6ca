"""Delivery-level faults: a delivery broken as a whole is rejected, not loaded."""


class DeliveryFault(Exception):
    """One sentence that names the file and the check that failed.

    Raised anywhere between reading the manifest and the last row; the loader
    rolls the delivery's transaction back and records the sentence as the
    rejection reason in audit.deliveries.
    """
