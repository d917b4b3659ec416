#!/usr/bin/env bash
# test_install.sh — `cmake --install` into a fresh prefix, then everything from outside the source tree: the
# installed dsim finds its scenarios and policies in PREFIX/share/dsim (also after the tree is moved, and
# $DSIM_DATA_DIR first), libdsim.so carries its SONAME, the example program of docs/library.md builds with
# pkg-config (shared and static) and with find_package(dsim) and runs a scenario, every command has a man page
# showing its options, and bash completion completes commands, options and scenario names.
#
# usage: test_install.sh PATH/TO/dsim SOURCE_DIR BUILD_DIR
set -u
DSIM=$1
SRC=$2
BUILD=$3
source "$(dirname "$0")/lib.sh" install
P=$WORK/prefix
cmake --install "$BUILD" --prefix "$P" >install.log 2>&1
check "cmake --install succeeds" test $? -eq 0
for f in bin/dsim lib/libdsim.a include/dsim/study.h include/dsim/chart.h lib/pkgconfig/dsim.pc \
    lib/cmake/dsim/dsimConfig.cmake lib/cmake/dsim/dsimTargets.cmake share/dsim/scenarios/default.ini \
    share/dsim/policies/thompson.ini share/man/man1/dsim.1 share/man/man1/dsim-run.1 share/man/man1/dsim-sweep.1 \
    share/bash-completion/completions/dsim; do
    check "installed: $f" test -e "$P/$f"
done
check "libdsim.so.0 is its SONAME" bash -c "objdump -p '$P/lib/libdsim.so' | grep -qE 'SONAME +libdsim\.so\.0$'"
check "libdsim.so -> libdsim.so.0 -> libdsim.so.0.1.0" test "$(readlink "$P/lib/libdsim.so")" = libdsim.so.0

# The installed program, run away from the source tree.
mkdir elsewhere && cd elsewhere || exit 1
check "it finds the installed scenarios" bash -c "'$P/bin/dsim' scenarios | head -1 | grep -qF '$P/share/dsim/scenarios/'"
check "dsim run default from elsewhere" bash -c "'$P/bin/dsim' run default -p fixed10 --visits 2000 --db r.db -q >run.txt && grep -q '^fixed10' run.txt"
mkdir -p mine/scenarios && printf '; mine — a test\n' >mine/scenarios/only_here.ini
check "\$DSIM_DATA_DIR comes before the installed tree" bash -c "DSIM_DATA_DIR=$PWD/mine '$P/bin/dsim' scenarios --names | grep -qx only_here"
mv "$P" "$WORK/moved"
check "a moved tree still finds its files" bash -c "'$WORK/moved/bin/dsim' scenarios | head -1 | grep -qF '$WORK/moved/share/dsim/scenarios/'"
mv "$WORK/moved" "$P"
cd "$WORK" || exit 1

# The library: the example of docs/library.md, which that file shows verbatim.
check "docs/library.md shows the example as it is" python3 -c "import sys; sys.exit(open('$SRC/tests/library/example.c').read() not in open('$SRC/docs/library.md').read())"
export PKG_CONFIG_PATH=$P/lib/pkgconfig
libs=$(pkg-config --libs dsim)
check "pkg-config --libs dsim: -ldsim from P/lib ($libs)" bash -c "[[ '$libs' == *-ldsim* && \$(realpath \$(sed 's/^-L\([^ ]*\).*/\1/' <<<'$libs')) == '$P/lib' ]]"
check "the example builds with pkg-config" bash -c "cc -std=c17 -Wall -Werror '$SRC/tests/library/example.c' \$(pkg-config --cflags --libs dsim) -o ex_shared"
check "and runs a scenario on libdsim.so" bash -c "cd elsewhere && LD_LIBRARY_PATH='$P/lib' ../ex_shared | grep -qE '^profit [0-9.]+ from [0-9]+ purchases$'"
check "the example links libdsim.so.0" bash -c "LD_LIBRARY_PATH='$P/lib' ldd ex_shared | grep -qF '$P/lib/libdsim.so.0'"
check "and with libdsim.a and pkg-config --static's libraries" bash -c "cc -std=c17 '$SRC/tests/library/example.c' \$(pkg-config --cflags dsim) '$P/lib/libdsim.a' \$(pkg-config --static --libs dsim | sed 's/ -ldsim / /') -o ex_static"
check "the static one runs too" bash -c "cd elsewhere && ../ex_static | grep -q '^profit '"
mkdir fp && cat >fp/CMakeLists.txt <<EOF
cmake_minimum_required(VERSION 3.22)
project(uses_dsim C)
find_package(dsim 0.1 REQUIRED)
add_executable(example $SRC/tests/library/example.c)
target_link_libraries(example PRIVATE dsim::dsim)
EOF
check "find_package(dsim) builds the example" bash -c "cmake -S fp -B fp/build -DCMAKE_PREFIX_PATH='$P' >fp.log 2>&1 && cmake --build fp/build >>fp.log 2>&1"
check "and it runs" bash -c "cd elsewhere && ../fp/build/example | grep -q '^profit '"

# Man pages: generated from --help, so each shows its command's options.
man_text() { MANWIDTH=100 man -l "$1" 2>/dev/null || sed 's/\\-/-/g' "$1"; }
check "man dsim-sweep shows the sweep's options" bash -c "$(declare -f man_text); man_text '$P/share/man/man1/dsim-sweep.1' | grep -qF -- '--shard'"
check "man dsim lists the commands and --version" bash -c "$(declare -f man_text); man_text '$P/share/man/man1/dsim.1' | grep -qF -- '--version'"
check "a page per command" test "$(ls "$P/share/man/man1" | grep -c '^dsim-')" -eq "$("$DSIM" --help | sed -n '/^commands:/,/^$/p' | grep -c '^  [a-z]')"
check "every --help ends with its man page" bash -c "'$DSIM' run --help | tail -1 | grep -qx 'see man dsim-run'"

# Completion: commands, options, scenario and policy names.
complete_words() { # complete_words WORD...: what completing the last word gives
    PATH=$P/bin:$PATH bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dsim; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$P/share/bash-completion/completions/dsim" "$@"
}
check "dsim ru<TAB> completes run" bash -c "$(declare -f complete_words); P='$P' complete_words dsim ru | grep -qx run"
check "dsim run def<TAB> completes default" bash -c "$(declare -f complete_words); P='$P' complete_words dsim run def | grep -qx default"
check "dsim run default --vi<TAB> completes --visits" bash -c "$(declare -f complete_words); P='$P' complete_words dsim run default --vi | grep -qx -- --visits"
check "dsim run default -p thom<TAB> completes thompson" bash -c "$(declare -f complete_words); P='$P' complete_words dsim run default -p thom | grep -qx thompson"
finish
