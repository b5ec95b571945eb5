"""Training integration: schedules injected into optax optimizers, their
hyperparameters read back, the learning-rate finder and its progress bar
(floor 4)."""
