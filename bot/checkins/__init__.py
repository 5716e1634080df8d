"""Weekly check-ins: ship Tuesday, measure Thursday, iterate Friday (schedule math, items, digest, chart)."""
