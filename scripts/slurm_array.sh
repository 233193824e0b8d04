#!/usr/bin/env bash
# A SLURM array scan: task I of N evaluates the chunks c with c % N == I into one shared run directory.
#   sbatch --array=0-15 scripts/slurm_array.sh runs/quickstart.toml /scratch/$USER/lq-scan
# Start with a fresh directory, or run `flavorscan run CARD --out DIR --restart --n 1` once before the array:
# never pass --restart to the array tasks themselves. When all tasks are done:
#   flavorscan info DIR        # completeness and pass fractions
#   flavorscan merge DIR -o DIR/merged.h5
#SBATCH --job-name=flavorscan
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=4
#SBATCH --time=04:00:00
set -euo pipefail
card=${1:?usage: slurm_array.sh CARD OUTDIR}
out=${2:?usage: slurm_array.sh CARD OUTDIR}
# JAX's persistent compilation cache: a task that starts after the kernel is in the cache (and, on GPUs,
# every GPU of a task after the first) loads it instead of compiling it again; any shared directory works.
export JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-$out/.jax-cache}
# progress: a plain line in the job log every 60 s (stderr), the summary as JSON on stdout
flavorscan run "$card" --out "$out" --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}" --progress-interval 60
