"""`python -m gateway` is the `helpdesk` command."""

from gateway.cli.main import main

# Guarded: the daemon's processing process is spawned and must not run the CLI again.
if __name__ == "__main__":
    main(prog_name="helpdesk")
