"""The files of a trial, which training writes and analysis reads: atomic writes (`atomic`), the
result format and completion records (`trials`), the per-example predictions file
(`predictions`)."""
