#!/usr/bin/env bash
# test_mpi.sh — the MPI driver of `dsim sweep` (a build with -DDSIM_WITH_MPI=ON): `mpirun -n P dsim sweep`
# with 1, 2 and 3 ranks gives byte-identical summaries to the single-process sweep of the same binary, and
# rank 0 alone writes the database (every run once).
#
# usage: test_mpi.sh PATH/TO/dsim SOURCE_DIR PATH/TO/mpiexec
set -u
DSIM=$1
SRC=$2
MPIEXEC=$3
source "$(dirname "$0")/lib.sh" mpi
# OpenMPI refuses root unless told; CI runs as root in a container.
if [[ $(id -u) -eq 0 ]]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

printf '[sweep]\nscenario = %s\npolicies = none, fixed10, thompson\nseeds = 3\nvisits = 20000\n[axes]\nsegment.bargain.elasticity_mean = 2, 4\n' "$DATA/small.ini" >mpi.ini
"$DSIM" sweep mpi.ini --db single.db -j 1 -q >/dev/null 2>&1
"$DSIM" sweep mpi.ini --db single.db --summary >single.txt
check "the MPI build without mpirun: a plain sweep of 18 runs" test "$(q single.db "SELECT count(*) FROM sweep_runs")" = 18
for ranks in 1 2 3; do
    out=$("$MPIEXEC" -n $ranks --oversubscribe "$DSIM" sweep mpi.ini --db ranks$ranks.db 2>err$ranks.txt)
    status=$?
    check "mpirun -n $ranks: exit 0" test "$status" -eq 0
    check "mpirun -n $ranks: all 18 runs, each once" \
        test "$(q ranks$ranks.db "SELECT count(*), count(DISTINCT cell || ' ' || policy || ' ' || seed) FROM sweep_runs")" = "18|18"
    check "mpirun -n $ranks: one summary, printed by rank 0" test "$(grep -c '^sweep mpi.ini: ' <<<"$out")" = 1
    check "mpirun -n $ranks: the summary is byte-identical to the single-process sweep's" \
        cmp -s single.txt <("$DSIM" sweep mpi.ini --db ranks$ranks.db --summary)
done
check "mpirun -n 3: two ranks computed, rank 0 wrote" grep -q "with 2 mpi workers" err3.txt
out=$("$MPIEXEC" -n 2 --oversubscribe "$DSIM" sweep mpi.ini --db ranks2.db -q 2>/dev/null)
check "mpirun again: resumes, nothing left to run" grep -q "; 0 run now, 18 done before" <<<"$out"

finish
