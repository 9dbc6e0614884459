"""One module per ``vmdiff`` subcommand: arguments in, one use-case call, rendering out."""
