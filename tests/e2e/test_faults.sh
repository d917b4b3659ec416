#!/usr/bin/env bash
# test_faults.sh — dsim where the machine says no: databases on a read-only mount and in a directory the user
# cannot write, a database of a newer schema, what is not a file, a CSV with a byte-order mark, a full disk,
# a run whose process is killed. Each answer is the documented
# exit status and message, and nothing earlier is lost.
#
# usage: test_faults.sh PATH/TO/dsim SOURCE_DIR
set -u
DSIM=$1
SRC=$2
cleanup() {
    [[ -n ${RO:-} ]] && umount "$RO" 2>/dev/null
    [[ -n ${FULL:-} ]] && umount "$FULL" 2>/dev/null
}
source "$(dirname "$0")/lib.sh" faults

# A database with a logged run, as any user makes one (WAL mode: readers need its shared-memory file).
mkdir rw
"$DSIM" run "$DATA/small.ini" -p epsilon_greedy --visits 3000 --log-events --db rw/results.db -q >/dev/null
"$DSIM" show 1 --db rw/results.db >show_rw.txt

# ---- read-only: a read-only mount (root: a read-only bind mount) or, for other users, a read-only directory
RO=$WORK/ro
mkdir "$RO"
if mount --bind rw "$RO" 2>/dev/null && mount -o remount,ro,bind "$RO" 2>/dev/null; then
    where="a read-only mount"
else
    umount "$RO" 2>/dev/null
    RO=
    cp -r rw rodir && chmod a-w rodir
    where="a directory the user cannot write"
    RO_DIR=rodir
fi
dir=${RO:-$WORK/rodir}
check "list reads a database on $where" bash -c "'$DSIM' list --db '$dir/results.db' | grep -q epsilon_greedy"
check "show reads it, the same as where it was written" \
    bash -c "'$DSIM' show 1 --db '$dir/results.db' | cmp -s - show_rw.txt"
check "ope reads its logged decisions (--log DB:RUN), storing the estimates elsewhere" \
    bash -c "'$DSIM' ope --log '$dir/results.db:1' -p uniform --bootstrap 0 --db ope.db | grep -q '^policy uniform'"
check "export-log reads it" bash -c "'$DSIM' export-log '$dir/results.db:1' --csv log.csv && test \$(wc -l <log.csv) -gt 1000"
check "nothing was written there" bash -c "! ls '$dir' | grep -qv '^results.db'"
[[ -n ${RO_DIR:-} ]] && chmod u+w rodir

# ---- a database of a newer schema: refused by name, never changed
cp rw/results.db newer.db
q newer.db "PRAGMA user_version = 99" >/dev/null
before=$(sha256sum newer.db)
"$DSIM" list --db newer.db >out.txt 2>err.txt
check "a newer schema: list exits 1" test $? -eq 1
check "and says so" grep -qF "newer.db: schema version 99 is newer than this dsim knows" err.txt
"$DSIM" run "$DATA/small.ini" -p none --visits 1000 --db newer.db -q >out.txt 2>err.txt
check "run refuses to write into it" bash -c "[[ $? -ne 0 ]] && grep -qF 'schema version 99 is newer' err.txt"
check "and leaves it as it was" test "$(sha256sum newer.db)" = "$before"

# ---- a damaged database: the damage named, not taken for an absent run
cp rw/results.db damaged.db
q damaged.db "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE" >/dev/null
root=$(q damaged.db "SELECT rootpage FROM sqlite_master WHERE name = 'runs'")
printf '\xde\xad\xbe\xef%.0s' $(seq 1024) | dd of=damaged.db bs=4096 seek=$((root - 1)) conv=notrunc 2>/dev/null
"$DSIM" show 1 --db damaged.db >out.txt 2>err.txt
check "show on a damaged database: exit 1, saying it is malformed (not 'no run 1')" \
    bash -c "[[ $? -eq 1 ]] && grep -qF 'reading a run: database disk image is malformed' err.txt"

# ---- what is not a file: a FIFO would block a read forever; it is refused at once
mkfifo fifo.ini fifo.csv fifo.db
timeout 20 "$DSIM" run "$WORK/fifo.ini" -p none --db x.db >out.txt 2>err.txt
check "a FIFO as the scenario: exit 2 at once, saying what it is" \
    bash -c "[[ $? -eq 2 ]] && grep -qF 'fifo.ini: not a regular file (it is a FIFO)' err.txt"
timeout 20 "$DSIM" ope --log "$WORK/fifo.csv" -p uniform --db x.db >out.txt 2>err.txt
check "a FIFO as --log: exit 2 at once" bash -c "[[ $? -eq 2 ]] && grep -qF 'fifo.csv: not a regular file (it is a FIFO)' err.txt"
timeout 20 "$DSIM" list --db "$WORK/fifo.db" >out.txt 2>err.txt
check "a FIFO as --db: exit 2 at once" bash -c "[[ $? -eq 2 ]] && grep -qF 'fifo.db: not a regular file' err.txt"

# ---- a CSV log saved by a spreadsheet: its UTF-8 byte-order mark is not part of the first column's name
"$DSIM" export-log rw/results.db:1 --csv plain.csv >/dev/null
printf '\xEF\xBB\xBF' | cat - plain.csv >bom.csv
"$DSIM" ope --log plain.csv -p uniform --bootstrap 0 --db o.db | grep -v '^log\|stored in\|dsim plot ope' >plain.txt
"$DSIM" ope --log bom.csv -p uniform --bootstrap 0 --db o.db | grep -v '^log\|stored in\|dsim plot ope' >bom.txt
check "a CSV log with a byte-order mark reads as without" cmp -s plain.txt bom.txt

# ---- a full disk (root: an 8 MB tmpfs, filled but for ROOM): the failure named, nothing half-made left,
# earlier data kept
FULL=$WORK/full
mkdir "$FULL"
room() { rm -f "$FULL/fill"; dd if=/dev/zero of="$FULL/fill" bs=4k 2>/dev/null; truncate -s "-$1" "$FULL/fill"; }
if mount -t tmpfs -o size=8m tmpfs "$FULL" 2>/dev/null; then
    room 0
    "$DSIM" run "$DATA/small.ini" -p none --visits 1000 --db "$FULL/r.db" -q >out.txt 2>err.txt
    check "disk full before the first write: exit 1" test $? -eq 1
    check "and says so" grep -qF "r.db: database or disk is full" err.txt
    check "and leaves no empty database behind" test ! -e "$FULL/r.db"
    room 256K
    "$DSIM" run default -p thompson --visits 200000 --log-events --db "$FULL/r.db" -q >out.txt 2>err.txt
    check "disk full in the middle of a logged run: exit 1" test $? -eq 1
    check "the run is marked failed, with the reason" \
        bash -c "sqlite3 '$FULL/r.db' \"SELECT status || ': ' || error FROM runs\" | grep -q '^failed: .*disk is full'"
    check "and the database is intact" test "$(q "$FULL/r.db" "PRAGMA integrity_check")" = ok
    rm -f "$FULL"/r.db*
    room 64K
    "$DSIM" export-log rw/results.db:1 --csv "$FULL/log.csv" >out.txt 2>err.txt
    check "export-log to a full disk: exit 1, naming the file and the reason" \
        bash -c "[[ $? -eq 1 ]] && grep -qF 'writing $FULL/log.csv failed: No space left on device' err.txt"
    check "and leaves no half log" test ! -e "$FULL/log.csv"
    printf '[sweep]\nscenario = %s\npolicies = none, fixed10, thompson\nseeds = 4\nvisits = 20000\n[axes]\n%s\n' \
        "$DATA/small.ini" "segment.bargain.elasticity_mean = 2, 3, 4, 5" >sweep.ini
    room 500K
    "$DSIM" sweep sweep.ini --db "$FULL/s.db" -j 2 -q >out.txt 2>err.txt
    check "a sweep filling the disk: exit 1, saying the disk is full" \
        bash -c "[[ $? -eq 1 ]] && grep -qF 'disk is full' err.txt && ! grep -qi 'foreign key' err.txt"
    rm "$FULL/fill"
    "$DSIM" sweep sweep.ini --db "$FULL/s.db" -j 2 -q >out.txt 2>err.txt
    check "with room again, the same sweep goes on and finishes" \
        bash -c "[[ $? -eq 0 ]] && grep -qE '; [0-9]+ run now, [1-9][0-9]* done before' out.txt"
    check "and its database is intact" test "$(q "$FULL/s.db" "PRAGMA integrity_check")" = ok
    rm -f "$FULL"/s.db*
    room 32K
    TMPDIR=$FULL "$DSIM" ope --log rw/results.db:1 -p uniform --bootstrap 0 --db ope.db >out.txt 2>err.txt
    check "ope whose temporary copy of the log fills the disk: exit 1, naming the file and the reason" \
        bash -c "[[ $? -eq 1 ]] && grep -qE \"temporary copy $FULL/dsim_log.*No space left on device\" err.txt"
    check "and leaves no temporary file" bash -c "! ls '$FULL' | grep -q dsim_log"
else
    FULL=
    ok "# SKIP disk full: needs root to mount a small tmpfs"
fi

# ---- a run whose process is killed: interrupted, not `running` forever
"$DSIM" run default -p thompson --visits 100000000 --db killed.db -q >/dev/null 2>&1 &
victim=$!
for _ in $(seq 300); do [[ $(q killed.db "SELECT count(*) FROM series" 2>/dev/null) -gt 0 ]] && break; sleep 0.1; done
kill -9 "$victim"
wait "$victim" 2>/dev/null
check "killed mid-run: the database still says running" test "$(q killed.db "SELECT status FROM runs")" = running
check "list (a reader) shows it interrupted" bash -c "'$DSIM' list --db killed.db | grep -q interrupted"
check "show too" bash -c "'$DSIM' show 1 --db killed.db | grep -q 'status *interrupted'"
"$DSIM" run "$DATA/small.ini" -p none --visits 1000 --db killed.db -q >/dev/null
check "the next writer marks it interrupted, saying why" \
    test "$(q killed.db "SELECT status || ': ' || error FROM runs WHERE id = 1")" = \
    "interrupted: its process (pid $victim) ended before it finished"
check "a run of a live process is left running" bash -c "
    '$DSIM' run default -p none --visits 100000000 --db live.db -q >/dev/null 2>&1 & p=\$!
    for _ in \$(seq 300); do [[ \$(sqlite3 live.db 'SELECT count(*) FROM series' 2>/dev/null) -gt 0 ]] && break; sleep 0.1; done
    '$DSIM' run '$DATA/small.ini' -p none --visits 1000 --db live.db -q >/dev/null
    s=\$(sqlite3 live.db 'SELECT status FROM runs WHERE id = 1'); kill \$p; wait \$p; [[ \$s == running ]]"

finish
