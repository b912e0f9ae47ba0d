"""Prototype: 4 'late' noisy expert episodes per clean demo of a folder (noise at the expert's change points)."""
import json, os, sys, time
import numpy as np
from concurrent.futures import ProcessPoolExecutor
src, dst, per, p = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])

def one(job):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from npp_sim.formats import read_demo
    from npp_sim.planner.noisy import noisy_expert_episode
    f, k = job
    d = read_demo(f'{src}/{f}')
    t = time.time()
    inputs, blocks, out = noisy_expert_episode(d.map_data, frame_skip=4, noise=p, seed=1000 * k + 1, max_frames=6000,
                                               max_nodes=40000, replan_nodes=2000, budget_s=10.0,
                                               plan=np.asarray(d.inputs, np.uint8), mine_margin=12.0, noise_kind="late")
    return f, k, d.meta.get('level_id'), d.meta.get('category'), inputs.tobytes().hex(), d.map_data.hex(), blocks, out, time.time() - t

if __name__ == '__main__':
    from npp_sim.formats import write_demo
    m = json.load(open(f'{src}/manifest.json'))
    os.makedirs(dst, exist_ok=True)
    for d in m['demos']:
        if not os.path.exists(f'{dst}/{d["file"]}'):
            os.symlink(os.path.abspath(f'{src}/{d["file"]}'), f'{dst}/{d["file"]}')
    jobs = [(d['file'], k) for d in m['demos'] for k in range(per)]
    noisy = []
    with ProcessPoolExecutor(2) as ex:
        for f, k, lid, cat, hx, mp, blocks, out, sec in ex.map(one, jobs):
            print(lid, k, out, len(blocks), f'{sec:.1f}s', flush=True)
            if out != 'won':
                continue
            name = f'{lid}.late{k}.replay'
            write_demo(f'{dst}/{name}', bytes.fromhex(mp), np.frombuffer(bytes.fromhex(hx), np.uint8), success=True,
                       level_id=lid, category=cat, frame_skip=1, recorder='planner-noisy',
                       meta={'seed': 1000 * k + 1, 'decision_frame_skip': 4, 'noise': p, 'noise_blocks': blocks})
            noisy.append({'file': name, 'level_id': lid, 'category': cat, 'noisy': k, 'noise_blocks': len(blocks)})
    c = dict(m); c['noisy'] = noisy; c['noisy_failures'] = []
    json.dump(c, open(f'{dst}/manifest.json', 'w'), indent=1)
    print(len(noisy), 'late-noisy demos; mean noise blocks', np.mean([r['noise_blocks'] for r in noisy]))
