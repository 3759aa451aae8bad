"""Per-example analyses of the trials' dev predictions: scores of many prediction arrays at once
(`scores`), held-out selection (`held_out`), evaluation-set noise against seed noise
(`evaluation_noise`), examples that flip with the seed (`flipping`), the multi-bootstrap of
recipe differences (`multi_bootstrap`); `tables` runs them on a study."""
