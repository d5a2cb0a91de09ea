"""``make bench``: the benchmark harness (``bench/run.py``) and its pieces; see run.py's docstring."""
