"""The SLURM tests: `slurm` marks those that need a running cluster (see test_slurm.py)."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slurm: submits jobs to a running SLURM cluster (.ci/slurm.sh start)")
