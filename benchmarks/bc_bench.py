"""BC training speed: the Lightning stage's module and data path vs a bare PyTorch loop.

For each architecture, both loops train the same policy (same initial weights) on the same
in-memory tensors with the same batch size and optimizer. The reference is the bare loop
measured in this run; the figure is Lightning samples/s divided by bare samples/s (goal >= 0.9).
Time spent waiting for the next batch in the Lightning loop is reported as a share of its time.
Then simple_cnn at stage=bc's batch size on ``trainer.torch_threads=0`` (every usable core) against one
thread, as a ratio.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch

ARCHS = {"simple_cnn": 512, "impala_cnn": 256, "hierarchical": 256, "hgt": 64}  # samples per epoch
BATCH = 32
EPOCHS = 2


def _arch(name: str) -> dict:
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from imitation_pipeline.configs import register

    register()
    conf = os.path.join(os.path.dirname(__file__), "..", "conf")
    with initialize_config_dir(config_dir=os.path.abspath(conf), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"arch={name}"])
    return OmegaConf.to_container(cfg.arch, resolve=True)


def _data(space, n: int):
    from imitation_pipeline.data.array_datamodule import DemoArrays
    from imitation_pipeline.policies import example_batch

    obs = example_batch(space, n, seed=0)
    obs = {k: np.asarray(v) for k, v in obs.items()}
    actions = np.random.default_rng(0).integers(0, 6, n).astype(np.int64)
    z = np.zeros(n, np.int32)
    return DemoArrays(obs, actions, z, z, z, [], ["x"])


def bare_loop(policy, arrays, epochs: int, batch: int = BATCH) -> float:
    from imitation_pipeline.data.array_datamodule import ArrayBatches, BatchSampler

    opt = torch.optim.AdamW(policy.parameters(), lr=3e-4)
    ds, sampler = ArrayBatches(arrays), BatchSampler(len(arrays), batch, True, 0)
    policy.set_training_mode(True)
    t0 = time.perf_counter()
    for _ in range(epochs):
        for idx in sampler:
            batch = ds[idx]
            features = policy.extract_features(batch["obs"], policy.pi_features_extractor)
            logits = policy.action_net(policy.mlp_extractor.forward_actor(features))
            loss = torch.nn.functional.cross_entropy(logits, batch["actions"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return time.perf_counter() - t0


def lightning_loop(module, arrays, epochs: int) -> tuple[float, float]:
    import lightning as L

    from imitation_pipeline.data.array_datamodule import ArrayBatches, BatchSampler

    class DataWait(L.Callback):
        def __init__(self):
            self.wait, self._end = 0.0, None

        def on_train_batch_start(self, *a):
            if self._end is not None:
                self.wait += time.perf_counter() - self._end

        def on_train_batch_end(self, *a):
            self._end = time.perf_counter()

        def on_train_epoch_end(self, *a):
            self._end = None

    loader = torch.utils.data.DataLoader(ArrayBatches(arrays), sampler=BatchSampler(len(arrays), BATCH, True, 0),
                                         batch_size=None, num_workers=0)
    wait = DataWait()
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, callbacks=[wait],
                        num_sanity_val_steps=0)
    t0 = time.perf_counter()
    trainer.fit(module, train_dataloaders=loader)
    return time.perf_counter() - t0, wait.wait


def main() -> dict:
    import logging

    from gymnasium import spaces
    from npp_sim.observation_spec import observation_space

    from imitation_pipeline.training.bc_module import BCModule

    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    torch.set_num_threads(1)
    results = {}
    print(f"{'arch':<13} {'bare samples/s':>15} {'lightning samples/s':>20} {'ratio':>6} {'data wait':>10}")
    for name, n in ARCHS.items():
        arch = _arch(name)
        space = observation_space(arch["modalities"])
        arrays = _data(space, n)
        torch.manual_seed(0)
        module = BCModule(arch, space, spaces.Discrete(6))
        bare_policy = BCModule(arch, space, spaces.Discrete(6)).policy
        bare_policy.load_state_dict(module.policy.state_dict())
        bare_loop(bare_policy, _data(space, BATCH * 2), 1)  # warm-up (allocator, kernels)
        t_bare = bare_loop(bare_policy, arrays, EPOCHS)
        t_l, wait = lightning_loop(module, arrays, EPOCHS)
        sb, sl = n * EPOCHS / t_bare, n * EPOCHS / t_l
        results[name] = {"bare": sb, "lightning": sl, "ratio": sl / sb, "data_wait_share": wait / t_l}
        print(f"{name:<13} {sb:>15.0f} {sl:>20.0f} {sl / sb:>6.2f} {wait / t_l:>9.1%}")
    results["torch_threads"] = threads_figure()
    return results


def threads_figure(n: int = 2048, batch: int = 256) -> dict:
    """simple_cnn at stage=bc's batch size: samples/s with ``trainer.torch_threads=0`` (the usable cores)
    against one thread (what OMP_NUM_THREADS=1 gave stage=bc before), measured back to back."""
    from gymnasium import spaces
    from npp_sim.observation_spec import observation_space
    from omegaconf import OmegaConf

    from imitation_pipeline.training.bc_module import BCModule
    from imitation_pipeline.training.trainer import torch_threads

    arch = _arch("simple_cnn")
    space = observation_space(arch["modalities"])
    arrays = _data(space, n)
    auto = torch_threads(OmegaConf.create({"accelerator": "cpu", "devices": 1, "torch_threads": 0}))
    rate = {}
    for threads in (1, auto):
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        policy = BCModule(arch, space, spaces.Discrete(6)).policy
        bare_loop(policy, _data(space, batch * 2), 1, batch)  # warm-up
        rate[threads] = n / bare_loop(policy, arrays, 1, batch)
    torch.set_num_threads(1)
    ratio = rate[auto] / rate[1]
    print(f"simple_cnn, batch {batch}: {rate[1]:.0f} samples/s on 1 thread, {rate[auto]:.0f} on "
          f"trainer.torch_threads=0 ({auto} threads): x{ratio:.2f}")
    return {"threads": auto, "one_thread": rate[1], "auto": rate[auto], "ratio": ratio}
