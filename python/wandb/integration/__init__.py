"""Integrations of sweep's offline W&B stand-in: only `wandb.integration.keras`."""
