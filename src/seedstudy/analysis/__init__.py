"""The analyses: trial files to tables (`aggregate`), then every analysis of those tables. The
resampling and test primitives they share are `resampling`; `runner` runs them in one job.
Nothing here imports `seedstudy.training` or `seedstudy.figures`."""
