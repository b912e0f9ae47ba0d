"""imitation-pipeline: demonstrations -> behavioural cloning -> PPO fine-tuning -> evaluation."""

__version__ = "0.1.0"
