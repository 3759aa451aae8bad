"""Task data: GLUE (`glue`), one's own files or Hub datasets (`custom`), and their preparation
(`prepare`: subsample, tokenize, cache; load prepared data)."""


class DataError(ValueError):
    """Bad or missing input data; the message names the file and, where it applies, the line."""
