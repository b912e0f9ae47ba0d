"""Option blocks of the individual stages (``verify.*``, ``generate.*``, ``bc.*``, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class VerifyConfig:
    """Play every replay in a directory through the simulator and report outcomes."""

    replay_dir: str = "${dataset.path}"
    report: str = "${run_dir}/verify_report.json"
    lr_rule: str = "cancel"  # how left+right in one input byte resolves: cancel | left_wins
    play_inconsistent: bool = False  # also play files whose map block is inconsistent (as nclone would)
    # longer replays are reported and not simulated (0 = no limit)
    max_frames: int = "${oc.select:env.max_frames,20000}"  # type: ignore[assignment]
    # longer replays are reported and not simulated (0 = no limit)
    max_frames: int = "${oc.select:env.max_frames,20000}"  # type: ignore[assignment]


@dataclass
class GenerateConfig:
    """Regenerate replays into cached observation shards (one per replay)."""

    replay_dir: str = "${dataset.path}"
    cache_dir: str = "${cache_root}/shards"
    modalities: list[str] = "${arch.modalities}"  # type: ignore[assignment]
    stride: int = "${env.frame_skip}"  # type: ignore[assignment]  # sample every k-th frame (= env frame_skip)
    lr_rule: str = "${env.lr_rule}"
    max_frames: int = "${env.max_frames}"  # type: ignore[assignment]
    include_unsuccessful: bool = False
    # stride > 1: labels an agent holding each action `stride` frames can execute (npp_sim.relabel)
    relabel: bool = True  # relabel replays whose raw sampled labels do not win held
    require_executable: bool = True  # leave out (listed with the reason) replays that stay non-executable
    workers: int = 2
    compress: bool = True


#: bc.lr_schedule: constant = ``bc.lr`` throughout; cosine = from ``bc.lr`` down to 0 along a half cosine over
#: the run's optimizer steps (Lightning's ``estimated_stepping_batches``, from max_epochs or max_steps), per batch
LR_SCHEDULES = ("constant", "cosine")


@dataclass
class BCConfig:
    """Behavioural cloning (Lightning) of the SB3 policy on the dataset's demonstrations."""

    # 1e-3 with a cosine decay: BC on the built-in demos underfits at 3e-4 constant (4 epochs: training accuracy
    # 0.76, test macro 0.541 over 3 seeds; 1e-3 cosine: 0.80, 0.587; README "BC on the built-in demos")
    lr: float = 1e-3
    lr_schedule: str = "cosine"  # constant | cosine (to 0 over the run's optimizer steps, per batch)
    weight_decay: float = 0.0
    batch_size: int = 256
    entropy_coef: float = 0.0  # loss = NLL - entropy_coef * entropy
    class_weighting: str = "none"  # none | balanced (inverse action frequency, for NOOP-heavy data)
    # training weight of the decisions where the demonstrator changed its input (keyframes), against the
    # copycat shortcut "repeat the previous action", which makes the policy switch one decision late;
    # 1 = plain NLL. val/loss stays unweighted; val/change_accuracy reports those decisions alone.
    change_weight: float = 1.0
    freeze_extractor_steps: int = 0  # keep the features extractor frozen for the first N steps
    split_by: str = "level"  # level | replay; never by frame (level: noisy and clean demos of a level stay together)
    max_replays: int = 0  # 0 = all; N: N replays spread over levels, one per level first (tiny test budgets)
    monitor: str = "val/loss"  # val/loss | val/accuracy | rollout/success_rate
    early_stopping_patience: int = 10
    rollout_every_n_epochs: int = 1  # 0 disables rollout evaluation
    rollout_levels: int = 4  # held-out levels: the maps of validation replays
    rollout_train_levels: int = 4  # training levels (maps of training replays): can the policy imitate?
    rollout_max_frames: int = "${evaluate.max_episode_frames}"  # type: ignore[assignment]
    rollout_deterministic: bool = False  # argmax (True) or sampled actions (as evaluate.deterministic)
    # rollouts are spaced out (every k x rollout_every_n_epochs epochs, the last epoch always) when a round
    # would take more than this share of the time (measured at the first round); 0 = never spaced out.
    # Not applied when bc.monitor is a rollout metric.
    rollout_max_share: float = 0.2
    # after training, evaluate the best checkpoint on this suite (test | eval | train, see `suites`) into
    # <run_dir>/evaluation.json, as stage=evaluate does; null = no evaluation
    evaluate_suite: str | None = None
    checkpoint_pointer: str = "${cache_root}/latest/bc-${arch.name}-seed${seed}.json"
    # start from the policy weights of this checkpoint (project schema, same arch and spaces) with a fresh
    # optimizer, learning-rate schedule and epoch count: a longer fit without paying again for the first
    # one. Refused when it was trained on this run's validation levels. (resume=true instead continues a
    # run with its own schedule.)
    initial_checkpoint: str | None = None
    # DQN-BC hybrid (off when td_weight = 0): loss += td_weight * TD error of the policy's action logits
    # read as Q-values, against a target copy of the policy refreshed every target_update_every steps,
    # on transitions sampled from a replay buffer of the demonstrations (needs rewards: pokemon_npz).
    td_weight: float = 0.0
    gamma: float = 0.99
    target_update_every: int = 500  # optimizer steps between hard target-network updates
    td_batch_size: int = 0  # 0 = bc.batch_size


@dataclass
class DaggerExpertConfig:
    """Who labels the visited states (see imitation_pipeline.dagger.experts)."""

    kind: str = "auto"  # auto (planner for env=npp, scripted for pokemon_standin) | scripted | planner | callable | subprocess
    target: str | None = None  # callable: "package.module:function"; subprocess: the command line
    timeout_s: float = 10.0  # callable / subprocess: seconds per answer before the run fails
    send_observation: bool = True  # subprocess: include the raw frame (base64) in every request
    planner_max_nodes: int = 20000
    planner_replan_nodes: int = 4000
    planner_budget_s: float = 60.0
    planner_mine_margin: float = 12.0  # px kept from deadly mines, as the built-in demos (build_demos --mine-margin)
    # False: the receding-horizon expert (a fresh search at every state, planner_replan_nodes each), whose
    # label is a function of the state; True: follow a cached plan while the learner stays on it
    planner_memory: bool = True


@dataclass
class DaggerConfig:
    """DAgger: roll out a beta-mixture of expert and student, label every state with the expert,
    aggregate, retrain by BC on the aggregate; evaluate and checkpoint every iteration."""

    iterations: int = 6
    steps_per_iteration: int = 1000  # expert labels (= env steps) collected per iteration
    beta_schedule: str = "exponential"  # constant | linear | exponential
    beta0: float = 1.0  # beta of iteration 0 (1.0: iteration 0 is pure expert demonstrations)
    beta_decay: float = 0.5  # exponential: beta_i = beta0 * beta_decay ** i
    beta_linear_iterations: int = 0  # linear: beta reaches 0 at this iteration (0 = at the last one)
    student_deterministic: bool = False  # student actions in the mixture: argmax (True) or sampled
    eval_deterministic: bool = True
    eval_every: int = 1  # iterations between evaluations (the last one is always evaluated)
    epochs_per_iteration: int = 4  # passes over the aggregate dataset per retrain
    max_updates_per_iteration: int = 0  # 0 = no cap on optimizer steps per retrain
    warm_start: bool = True  # retrain from the previous policy (False: a fresh policy each iteration)
    initial_checkpoint: str | None = None  # start from a BC checkpoint (project schema)
    lr: float = "${bc.lr}"  # type: ignore[assignment]
    weight_decay: float = "${bc.weight_decay}"  # type: ignore[assignment]
    batch_size: int = "${bc.batch_size}"  # type: ignore[assignment]
    entropy_coef: float = "${bc.entropy_coef}"  # type: ignore[assignment]
    rollout_max_steps: int = 0  # cut each collection rollout after this many steps (0 = the task's episode cap)
    world_seed: int = 0  # pokemon: training episode k plays world world_seed + k % num_worlds
    num_worlds: int = 0  # 0 = a new world every episode
    npp_train_levels: dict[str, int] = field(default_factory=lambda: {"very_simple": 2})  # from the train suite seeds
    npp_eval_levels: dict[str, int] = field(default_factory=lambda: {"very_simple": 2})  # from the test suite seeds
    npp_max_frames: int = 2000  # N++ episodes are truncated here (rollouts and evaluation)
    save_data: bool = True  # write each iteration's labelled states to <run_dir>/data/iter_XX.npz
    expert: DaggerExpertConfig = field(default_factory=DaggerExpertConfig)


@dataclass
class TakeoverExpertConfig:
    """The planner expert that takes over (npp_sim.planner.PlannerExpert, at env.frame_skip)."""

    max_nodes: int = 20000  # node budget of the first plan from the student's state
    replan_nodes: int = 3000  # node budget of every later replan
    budget_s: float = 20.0  # seconds per search
    mine_margin: float = 12.0  # px kept from deadly mines (as the built-in demos: build_demos --mine-margin)
    memory: bool = True  # False: the receding-horizon expert (a fresh replan_nodes search at every decision)


@dataclass
class TakeoverConfig:
    """Expert takeover demos where a BC student fails (imitation_pipeline.dagger.takeover): the student
    plays every demonstrated level of ``demos``; where it dies or gets lost the planner expert plays on from
    the student's state a few decisions earlier; won continuations are written beside the demos as replays
    whose student blocks carry no labels, listed in <demos>/takeover.json. Rounds ``round`` ..
    ``round + rounds - 1``; each round's student is ``checkpoint`` (the first round) or a BC trained by
    ``stage=bc`` (this config) on the demos as they are then (DAgger's loop, Ross et al. 2011)."""

    checkpoint: str | None = None  # the first round's student (a BC .ckpt or .pt); null = train one
    demos: str = "${dataset.path}"  # the levels (one per distinct map, takeover demos excepted); output goes here
    round: int = 1  # the first round; the demos of this round and later ones are made afresh
    rounds: int = 1
    back: list[int] = field(default_factory=lambda: [4, 12])  # branch this many decisions before a death
    lost_fractions: list[float] = field(default_factory=lambda: [0.125, 0.333])  # branches of an episode that timed out
    deterministic: bool = False  # the student's actions: sampled (as evaluate) or argmax
    max_episode_frames: int = "${evaluate.max_episode_frames}"  # type: ignore[assignment]
    workers: int = 2  # expert processes
    batch_envs: int = 32  # student levels played in lock-step
    progress: bool = True
    expert: TakeoverExpertConfig = field(default_factory=TakeoverExpertConfig)


@dataclass
class SelfDemosConfig:
    """The BC student's own wins as demos (imitation_pipeline.dagger.self_demos): the student plays every
    demonstrated level ``episodes`` times (sampled); of each level's wins the ``keep_per_level`` shortest
    distinct ones are written beside the demos as replays (checked to win in the simulator first), listed in
    <demos>/self_demos.json. Rounds as ``takeover``: the first round's student is ``checkpoint``, later ones a
    BC trained by ``stage=bc`` (this config) on the demos as they are then."""

    checkpoint: str | None = None  # the first round's student (a BC .ckpt or .pt); null = train one
    demos: str = "${dataset.path}"  # the levels (one per distinct map, derived demos excepted); output goes here
    round: int = 1  # the first round; the self demos of this round and later ones are made afresh
    rounds: int = 1
    episodes: int = 4  # per level
    keep_per_level: int = 2  # the shortest distinct wins of a level
    # categories whose levels are not played: the student already wins them (BC seed 0 on its training levels:
    # very_simple 1.00, simple 0.99), and their wins would add samples and training time for nothing measured
    skip_categories: list[str] = field(default_factory=lambda: ["very_simple", "simple"])
    deterministic: bool = False  # the student's actions: sampled (as evaluate) or argmax
    max_episode_frames: int = "${evaluate.max_episode_frames}"  # type: ignore[assignment]
    batch_envs: int = 32  # levels played in lock-step
    progress: bool = True


@dataclass
class ExportConfig:
    """Write the dataset's demonstrations as a Minari dataset (observations regenerated by the env)."""

    replay_dir: str = "${dataset.path}"
    dataset_id: str = "npp/demos/replays-v0"  # Minari ids: namespace/name-vN
    out_dir: str = "${run_dir}/minari"  # becomes MINARI_DATASETS_PATH for the write
    modalities: list[str] = "${arch.modalities}"  # type: ignore[assignment]
    lr_rule: str = "${env.lr_rule}"
    include_unsuccessful: bool = False
