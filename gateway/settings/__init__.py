"""Settings: the configuration file read into typed, validated dataclasses (desk part apart)."""
