# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# The file paths the documents and the code's comments name (sourced by tests/cli/run_case.sh;
# each case_NAME is one ctest, build.paths.NAME).

# shellcheck source=tests/lib/skip.sh
source "$SOURCE_DIR/tests/lib/skip.sh"

# named_paths: "FILE:LINE:PATH" for every src/, include/, tests/ or jobs/ path of a file (a name
# with an extension) written in docs/*.md, the README, or a file under src/, include/, jobs/,
# tests/, bench/ or cmake/; placeholders (NAME, FILE, JOB, ...) are left out.
named_paths() {
  (cd "$SOURCE_DIR" &&
    git ls-files -- 'docs/*.md' README.md src include jobs tests bench cmake |
    xargs grep -noE '(^|[^A-Za-z0-9_./$-])(src|include|tests|jobs)/[A-Za-z0-9_./-]*[A-Za-z0-9_]\.[a-z]+' |
      sed -E 's/^([^:]*:[0-9]+:)[^a-z]?/\1/' |
      grep -vE ':[^:]*(NAME|FILE|JOB|[.][.][.])[^:]*$')
}

case_every_named_file_exists() {
  command -v git >/dev/null || skip HPAR_REQUIRE_CHECKOUT "no git"
  git -C "$SOURCE_DIR" rev-parse --is-inside-work-tree >/dev/null 2>&1 || skip HPAR_REQUIRE_CHECKOUT "not a git checkout"
  local missing="" file line path count=0
  while IFS=: read -r file line path; do
    count=$((count + 1))
    [ -e "$SOURCE_DIR/$path" ] || missing+="  $file:$line names $path"$'\n'
  done < <(named_paths)
  [ "$count" -gt 10 ] || fail "found only $count named paths: the search is broken"
  [ -z "$missing" ] || fail $'paths that do not exist:\n'"$missing"
}
