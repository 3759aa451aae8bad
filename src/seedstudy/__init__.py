"""seedstudy: seed-variance studies of language-model fine-tuning (Dodge et al. 2020)."""

__version__ = "0.1.0"
