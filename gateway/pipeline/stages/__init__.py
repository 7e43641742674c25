"""Pipeline stages, one module each; `gateway.pipeline.build_pipeline` gives their order."""
