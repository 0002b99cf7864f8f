"""The logmoji command."""


def main() -> int:
    """Run the logmoji command."""
    return 0
