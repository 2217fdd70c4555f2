"""Times Taichi's own mpm88 / mpm3d examples on its CPU backend, at the sizes of `torsion bench mpm`.

Run it in a virtual environment outside the repository (Torsion never needs Python):

    python3 -m venv /tmp/ti && /tmp/ti/bin/pip install taichi==1.7.4
    /tmp/ti/bin/python scripts/peers/taichi-mpm.py [--threads 2] [--steps 1000] [--rounds 3] [--json]

The examples are read from the installed package (taichi/examples/simulation/), not copied: this
script edits their configuration lines as text (backend, particle count, grid) and drops the GUI
loop, then times `substep()` with `ti.sync()` on the wall clock, after one untimed round that
compiles the kernels. Each row prints particle-steps/s over the whole rollout.
"""
import argparse
import json
import os
import re
import sys
import time


def example_source(name):
    import taichi
    path = os.path.join(os.path.dirname(taichi.__file__), 'examples', 'simulation', name)
    with open(path) as f:
        return path, f.read()


def configure(src, threads, n_particles, n_grid, dim=None):
    """The example's text with its settings replaced; fails loudly if a line moved between versions."""
    def sub(pattern, repl, text):
        out, n = re.subn(pattern, repl, text, count=1, flags=re.M)
        if n != 1:
            raise SystemExit(f'taichi-mpm.py: the example no longer has a line matching {pattern!r}')
        return out
    src = sub(r'^ti\.init\(.*\)$', f'ti.init(arch=ti.cpu, cpu_max_num_threads={threads}, default_fp=ti.f32, offline_cache=True)', src)
    if dim is None:
        src = sub(r'^n_particles = .*$', f'n_particles = {n_particles}', src)
        src = sub(r'^n_grid = .*$', f'n_grid = {n_grid}', src)
        # mpm88's GUI loop starts after init(): keep the definitions and init() only.
        src = src[: src.index('gui = ti.GUI')]
    else:
        src = sub(r'^dim, n_grid, steps, dt = 3, .*$', f'dim, n_grid, steps, dt = 3, {n_grid}, 25, 4e-4', src)
        src = sub(r'^n_particles = .*$', f'n_particles = {n_particles}', src)
        src = src.replace('if __name__ == "__main__":', 'if False:')
        # Taichi wants a power-of-two block size; the example ties it to n_grid (32, 64 or 128).
        src = src.replace('ti.loop_config(block_dim=n_grid)', 'ti.loop_config(block_dim=64)')
        src += '\ninit()\n'
    return src


def time_example(label, src, steps, rounds):
    import importlib.util
    import tempfile
    import taichi as ti
    # Taichi reads a kernel's source back from its file, so the edited example is written to one.
    with tempfile.NamedTemporaryFile('w', suffix='.py', delete=False) as f:
        f.write(src)
    spec = importlib.util.spec_from_file_location('peer_example', f.name)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    scope = vars(mod)
    substep = scope['substep']
    n = int(scope['n_particles'])
    # Untimed: JIT compilation and the first touch of the fields.
    for _ in range(20):
        substep()
    ti.sync()
    rates = []
    for _ in range(rounds):
        scope['init']()
        ti.sync()
        t0 = time.perf_counter()
        for _ in range(steps):
            substep()
        ti.sync()
        rates.append(n * steps / (time.perf_counter() - t0))
    ti.reset()
    os.unlink(f.name)
    return {'label': label, 'particles': n, 'steps': steps, 'particleStepsPerSec': sorted(rates)[len(rates) // 2], 'rounds': rates}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=1000)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    rows = []
    # Same particle counts as bench mpm's rows. mpm88 is a weakly compressible fluid, the bench's 2D
    # rows are elastoplastic; mpm3d's grid is cubic, so 42^3 cells stands in for 40x30x60 (72,000).
    for label, name, n, grid, dim in [
        ('mpm88 2D 24k on 128^2', 'mpm88.py', 24336, 128, None),
        ('mpm3d 3D 70k on 42^3', 'mpm3d.py', 69888, 42, 3),
    ]:
        path, src = example_source(name)
        row = time_example(label, configure(src, a.threads, n, grid, dim), a.steps, a.rounds)
        row['source'] = path
        rows.append(row)
        print(f"{label}: {row['particleStepsPerSec'] / 1e6:.2f} M particle-steps/s (median of {a.rounds}, {a.threads} threads)", file=sys.stderr)
    if a.json:
        print(json.dumps(rows))


if __name__ == '__main__':
    main()
