"""Shared pytest setup: print the seeds so a failure can be replayed."""


def pytest_report_header(config):
    return "pymemory tests: seeded random cases (seeds in each test module)"
