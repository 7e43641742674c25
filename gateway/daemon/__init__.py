"""The daemon: the supervising process (SMTP intake), the processing process and its runner."""
