#!/usr/bin/env bash
# Checks a report written by analysis/report.py in headless Chromium.
#
#   scripts/check-report.sh REPORT_DIR [--screenshot FILE.png] [--expect N]
#
# Loads REPORT_DIR/index.html (a temporary copy with a small checking script added, so the report
# itself stays script-free), lets the page load, and reads back from the dumped DOM how many <img>
# elements decoded (complete and naturalWidth > 0). Also checks that every relative href/src in the
# page names an existing file. Prints OK or what is missing; exits 1 on failure, 2 on usage errors.
# --expect N additionally requires exactly N images. --screenshot also saves a full-page picture.
# Needs chromium; when it is missing and the script runs as root, it runs apt-get install -y chromium.
set -euo pipefail

usage() { echo "usage: $0 REPORT_DIR [--screenshot FILE.png] [--expect N]" >&2; exit 2; }
[ $# -ge 1 ] || usage
dir=$1; shift
shot=""; expect=""
while [ $# -gt 0 ]; do
  case $1 in
    --screenshot) shot=$2; shift 2 ;;
    --expect) expect=$2; shift 2 ;;
    *) usage ;;
  esac
done
page="$dir/index.html"
[ -f "$page" ] || { echo "check-report: FAIL: no $page" >&2; exit 1; }

find_browser() {
  for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then echo "$b"; return; fi
  done
}
browser=$(find_browser)
if [ -z "$browser" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "check-report: installing chromium (apt-get install -y chromium)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } || true
  browser=$(find_browser)
fi
[ -n "$browser" ] || { echo "check-report: chromium not found (apt-get install -y chromium)" >&2; exit 2; }

dir_abs=$(cd "$dir" && pwd)
profile=$(mktemp -d)
copy=""
probe="$dir_abs/.check-report-$$.html"
if ! touch "$probe" 2>/dev/null; then   # read-only report: check a copy
  copy=$(mktemp -d)
  cp -r "$dir_abs/." "$copy/"
  probe="$copy/.check-report-$$.html"
fi
cleanup() { rm -rf "$profile" "$probe" ${copy:+"$copy"}; }
trap cleanup EXIT

# The probe sits beside index.html so relative references resolve the same way.
/usr/bin/python3 - "$page" "$probe" <<'PY'
import sys
src, dst = sys.argv[1], sys.argv[2]
page = open(src, encoding="utf-8").read()
probe = """<script>
window.addEventListener('load', function () {
  var imgs = document.images, ok = 0, bad = [];
  for (var i = 0; i < imgs.length; i++) {
    var im = imgs[i];
    if (im.complete && im.naturalWidth > 0 && im.naturalHeight > 0) ok++;
    else bad.push((im.getAttribute('data-file') || im.alt || ('#' + i)).replace(/[|"]/g, ''));
  }
  var d = document.createElement('div');
  d.id = 'commsim-check';
  d.setAttribute('data-total', imgs.length);
  d.setAttribute('data-ok', ok);
  d.setAttribute('data-broken', bad.join('|'));
  document.body.appendChild(d);
});
</script>"""
i = page.rfind("</body>")
page = page[:i] + probe + page[i:] if i >= 0 else page + probe
open(dst, "w", encoding="utf-8").write(page)
PY

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars
       "--user-data-dir=$profile" --virtual-time-budget=10000)
dom=$(timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$probe" 2>/dev/null) || {
  echo "check-report: FAIL: $browser did not load the page" >&2; exit 1; }

line=$(printf '%s' "$dom" | grep -o '<div id="commsim-check"[^>]*>' || true)
if [ -z "$line" ]; then
  echo "check-report: FAIL: the page did not finish loading (no check result in the DOM)" >&2
  exit 1
fi
total=$(printf '%s' "$line" | sed -n 's/.*data-total="\([0-9]*\)".*/\1/p')
ok=$(printf '%s' "$line" | sed -n 's/.*data-ok="\([0-9]*\)".*/\1/p')
broken=$(printf '%s' "$line" | sed -n 's/.*data-broken="\([^"]*\)".*/\1/p')

fail=0
if [ "$total" -eq 0 ]; then echo "check-report: FAIL: no <img> in the page"; fail=1; fi
if [ "$ok" -ne "$total" ]; then
  echo "check-report: FAIL: $((total - ok)) of $total images did not decode: ${broken//|/, }"; fail=1
fi
if [ -n "$expect" ] && [ "$total" -ne "$expect" ]; then
  echo "check-report: FAIL: $total images, expected $expect"; fail=1
fi

# Relative references (href/src that are not data:, http(s):, mailto: or #fragments) must exist.
missing=$(/usr/bin/python3 - "$page" "$dir_abs" <<'PY'
import os, re, sys, urllib.parse
page, base = sys.argv[1], sys.argv[2]
text = open(page, encoding="utf-8").read()
for ref in sorted(set(re.findall(r'(?:href|src)="([^"]+)"', text))):
    if re.match(r"^(data:|https?:|mailto:|#)", ref):
        continue
    path = os.path.join(base, urllib.parse.unquote(ref.split("#")[0]))
    if not os.path.isfile(path):
        print(ref)
PY
)
if [ -n "$missing" ]; then
  echo "check-report: FAIL: broken references: $(echo "$missing" | tr '\n' ' ')"; fail=1
fi

if [ -n "$shot" ]; then
  timeout 120 "$browser" "${flags[@]}" --window-size=1280,9000 "--screenshot=$shot" "file://$probe" \
    >/dev/null 2>&1 || { echo "check-report: FAIL: screenshot failed"; fail=1; }
fi

if [ "$fail" -ne 0 ]; then exit 1; fi
echo "check-report: OK: $ok/$total images decode, all relative references exist ($page)"
