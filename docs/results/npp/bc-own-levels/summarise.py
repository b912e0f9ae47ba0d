"""Summarise the own-levels invariant runs: per arm, training accuracy, and success on its 21 training / 5 validation levels."""
import csv, glob, hashlib, json
S = '/tmp/exp/s8'
def val_levels(seed=0, frac=0.2, levels=None):
    ranked = sorted(levels, key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).hexdigest())
    return set(ranked[:int(round(len(ranked) * frac))])
arms = {'plan demos, clean': ('planMC_e40', 'planMC'), 'receding demos, clean': ('rhMC_e40', 'rhMC'),
        'plan demos, clean + 4 noisy per level': ('noisyMC_e40', 'noisyMC'),
        'plan demos, clean + 4 late-noise demos per level': ('lateMC_e40', 'lateMC')}
out = {'setup': 'stage=bc arch=simple_cnn, 40 epochs, seed 0, no early stopping, last checkpoint; 26 train-suite levels '
                '(medium 0-19, complex 0-5), split by level (split_seed 0): 21 training, 5 validation levels. '
                'Evaluation: stage=evaluate evaluate.levels_dir=<the clean demos> (argmax: 1 episode per level; sampled: 3), '
                '6,000-frame episodes.', 'arms': {}}
for arm, (run, demos) in arms.items():
    m = json.load(open(f'{S}/{demos}/manifest.json'))
    keys = sorted({f"{d['category']}/{d['level_id']}" for d in m['demos']})
    val = val_levels(levels=keys)
    rows = list(csv.DictReader(open(glob.glob(f'{S}/{run}/csv/*/metrics.csv')[0])))
    acc = {int(r['epoch']): float(r['train/accuracy_epoch']) for r in rows if r.get('train/accuracy_epoch')}
    roll = {int(r['epoch']): float(r['rollout/train_success_rate']) for r in rows if r.get('rollout/train_success_rate')}
    samples = json.load(open(f'{S}/{run}/bc_summary.json')).get('train_samples')
    res = {'replays': len(m['demos']) + len(m.get('noisy', [])), 'train_samples': samples,
           'train_accuracy_last_epoch': round(acc[max(acc)], 3),
           'rollout_train_success_by_epoch (21 training levels, sampled, 1 episode)': {e + 1: round(v, 3) for e, v in sorted(roll.items())}}
    for det, tag in (('true', 'argmax'), ('false', 'sampled')):
        ev = json.load(open(f'{S}/{run}_ev_{det}/evaluation.json'))
        tr, va = [], []
        for ep in ev['episodes']:
            lid = ep['level'].replace('.replay', '')
            cat = lid.rsplit('_', 1)[0]
            (va if f'{cat}/{lid}' in val else tr).append(float(ep['success']))
        res[tag] = {'training_levels': round(sum(tr) / len(tr), 3), 'n_training': len(tr),
                    'validation_levels': round(sum(va) / len(va), 3), 'n_validation': len(va)}
    out['arms'][arm] = res
print(json.dumps(out, indent=1))
json.dump(out, open('/work/main/docs/results/npp/bc-own-levels/own-levels.json', 'w'), indent=1)
