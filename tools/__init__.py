"""Development tools that are not shipped in the wheel: generators of test and tuning data."""
