"""The `helpdesk` command line: one module per command group; listing helpers in `output`."""
