"""The keyed hash is HMAC-SHA256 and works without pgcrypto."""
from __future__ import annotations

import hashlib
import hmac


def test_sql_hmac_matches_python(db):
    for key in ("k", "a-much-longer-key-" * 8):
        for message in ("B1234567", "Nguyễn Văn A"):
            got = db.execute("select audit.hmac_sha256(%s, %s)", (message, key)).fetchone()[0]
            assert got == hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()
