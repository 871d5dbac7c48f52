# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of the mandelbrot job (sourced by run_case.sh; each case_NAME is one ctest).

small=(--width 160 --height 90 --max-iter 300)

case_same_result_at_layouts_static() {
  same_at_layouts mandelbrot "${small[@]}" --schedule static
  expect_out "result: mandelbrot 160 x 90, max-iter 300"
}

case_same_result_at_layouts_dynamic() {
  same_at_layouts mandelbrot "${small[@]}" --center-x=-0.7436 --center-y 0.1318 --span 0.01 \
    --schedule dynamic
}

case_checksum_matches_python_loop() {
  # Independent reference: the escape-time loop and the row-major hash written in Python.
  hpar_np 2 run mandelbrot --width 48 --height 30 --max-iter 120 --center-x=-0.6 --span 2.8 \
    --threads 2 --schedule dynamic
  expect_rc 0
  expect_out "verification PASS"
  expected=$(python3 - <<'PY'
w, h, m, cx0, cy0, span = 48, 30, 120, -0.6, 0.0, 2.8
step = span / w
hsh, its, inside = 0, 0, 0
for row in range(h):
    cy = cy0 - (row + 0.5 - 0.5 * h) * step
    for col in range(w):
        cx = cx0 + (col + 0.5 - 0.5 * w) * step
        x = y = 0.0
        n = 0
        while n < m and x * x + y * y <= 4.0:
            x, y = x * x - y * y + cx, 2 * x * y + cy
            n += 1
        hsh = (hsh * 0x100000001b3 + n) % 2**64
        its += n
        inside += n == m
print(f"result: checksum {hsh} (hash of all iteration counts, row-major)")
print(f"result: iterations {its}, mean {its / (w * h):.17g} per pixel, {inside} pixels reached max-iter")
PY
)
  [ "$(result_lines | sed -n 2,3p)" = "$expected" ] || fail "got: $(result_lines); expected: $expected"
}

case_png_same_bytes_at_two_layouts() {
  hpar_np 1 run mandelbrot "${small[@]}" --threads 1 --image one.png
  expect_rc 0
  expect_out "result: wrote one.png (160 x 90 PNG"
  hpar_np 3 run mandelbrot "${small[@]}" --threads 2 --schedule dynamic --image three.png
  expect_rc 0
  cmp one.png three.png || fail "PNG bytes differ between 1x1 and 3x2"
  file one.png | grep -q "PNG image data, 160 x 90, 8-bit colormap" || fail "$(file one.png)"
  expect_no_temporary_files
}

case_report_names_rows_per_second() {
  hpar_np 2 run mandelbrot "${small[@]}" --threads 1
  expect_rc 0
  for word in "rows/s" "pixels/s" "90 of 90 rows in 90 blocks of 1" "verification PASS"; do
    expect_out "$word"
  done
}

case_config_file() {
  hpar_np 2 run mandelbrot --config "$SOURCE_DIR/jobs/mandelbrot.ini" --threads 1 --no-report
  expect_rc 0
  expect_out "result: mandelbrot 320 x 240, max-iter 500"
  expect_out "result: wrote mandelbrot.png (320 x 240 PNG"
}

case_bad_max_iter() {
  hpar_np 2 run mandelbrot --max-iter 0
  expect_usage_error "--max-iter must be between 1"
}

case_unwritable_image() {
  hpar_np 2 run mandelbrot "${small[@]}" --image no/such/dir/m.png
  expect_usage_error "cannot write --image 'no/such/dir/m.png'"
  [ ! -e no ] || fail "created something: $(ls -A)"
}

case_cyclic_distribution_same_at_all_layouts() {
  # Rows dealt round robin to ranks: the same bytes as contiguous slices, at every layout.
  hpar_np 1 run mandelbrot --width 64 --height 48 --max-iter 200 --threads 1 --no-report
  expect_rc 0
  cp out.txt block.txt
  same_at_layouts mandelbrot --width 64 --height 48 --max-iter 200 --distribution cyclic \
    --schedule dynamic
  cmp -s block.txt layout_1x1.txt || fail "cyclic differs from block: $(diff block.txt layout_1x1.txt | head -3)"
}
