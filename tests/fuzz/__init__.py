"""The fuzz harness: ``python -m tests.fuzz --minutes N`` (see README,
"Development"). harness.py supervises, worker.py runs cases in a
subprocess, generate.py makes random valid modules; corpus/ keeps every
finding as a regression case, replayed by test_fuzz.py."""
