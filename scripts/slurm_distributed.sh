#!/usr/bin/env bash
# One multi-process scan under SLURM with jax.distributed: every task joins the coordination service
# (jax detects SLURM_JOB_ID, SLURM_STEP_NODELIST, SLURM_NTASKS, SLURM_PROCID), takes the chunks
# c with c % ntasks == process index and shards them over its local GPUs.
#   sbatch --nodes=4 --ntasks-per-node=1 scripts/slurm_distributed.sh runs/quickstart.toml /scratch/$USER/lq-scan
# Rerunning the same command resumes; tests/test_engine.py runs this code path with two local processes.
#SBATCH --job-name=flavorscan-dist
#SBATCH --gres=gpu:4
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
set -euo pipefail
card=${1:?usage: slurm_distributed.sh CARD OUTDIR}
out=${2:?usage: slurm_distributed.sh CARD OUTDIR}
# JAX's persistent compilation cache: a task that starts after the kernel is in the cache (and, on GPUs,
# every GPU of a task after the first) loads it instead of compiling it again; any shared directory works.
export JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-$out/.jax-cache}
# progress: a plain line per task in the job log every 60 s (stderr), the summary as JSON on stdout
srun flavorscan run "$card" --out "$out" --distributed --progress-interval 60
