"""One module per ``hybridsched`` subcommand (see :mod:`scheduler.cli`)."""
