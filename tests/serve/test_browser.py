#!/usr/bin/python3
"""The page in a real browser (headless Chromium through chromedriver, python3-selenium): load /,
set two levers in the form generated from /api/schema, press Run, wait for the run, find the
summary table and the charts drawn, check an invalid value is explained at its field, and keep a
screenshot (WORK_DIR/workbench.png) as the test's artefact.

usage: test_browser.py COMMSIM_BINARY SOURCE_DIR WORK_DIR
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import Server, args, check  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    # Flags that work as root in containers, with no network and no first-run chores.
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,2000", "--user-data-dir=" + profile):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def set_field(driver, key, value):
    field = driver.find_element(By.CSS_SELECTOR, 'input[data-key="%s"]' % key)
    field.clear()
    field.send_keys(str(value))


def main():
    binary, source, work = args()
    screenshot = os.path.join(work, "workbench.png")
    profile = tempfile.mkdtemp(prefix="commsim-chromium-")
    with Server(binary, source, os.path.join(work, "data")) as server:
        driver = browser(profile)
        try:
            url = "http://127.0.0.1:%d/" % server.port
            driver.get(url)
            wait = WebDriverWait(driver, 60)
            wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'input[data-key="run.days"]')))
            check(Select(driver.find_element(By.ID, "scenario")).first_selected_option.text == "xian-baseline",
                  "the page opens on the baseline")

            # An invalid value is explained at its field, by the page's own check (range from /api/schema).
            set_field(driver, "run.days", 0)
            driver.find_element(By.ID, "run-button").click()
            error = driver.find_element(By.CSS_SELECTOR, '.field[data-key="run.days"] .field-error').text
            check("must be [1, 36500]" in error, "field error for run.days=0: %r" % error)
            check(not server.json("GET", "/api/runs")["runs"], "an invalid form starts no run")

            # A small run from the form.
            set_field(driver, "run.days", 14)
            set_field(driver, "city.generator.communities", 16)
            set_field(driver, "staffing.rules.community_worker.per_10k", 15)
            driver.find_element(By.ID, "run-button").click()
            WebDriverWait(driver, 300).until(EC.visibility_of_element_located((By.ID, "run-results")))
            rows = driver.find_elements(By.CSS_SELECTOR, "#services-table tbody tr")
            check(len(rows) == 10, "summary table has the baseline's 10 services, got %d" % len(rows))
            check(rows[0].find_elements(By.TAG_NAME, "td")[0].text == "elderly_home_care", "first service row")
            runs = server.json("GET", "/api/runs")["runs"]
            check(len(runs) == 1 and runs[0]["status"] == "done", "one run, done: %s" % runs)
            check(runs[0]["set"] == {"run.days": 14, "city.generator.communities": 16,
                                     "staffing.rules.community_worker.per_10k": 15},
                  "the form sent exactly the changed levers: %s" % runs[0]["set"])
            summary = server.json("GET", "/api/runs/%s/summary" % runs[0]["id"])
            cells = rows[0].find_elements(By.TAG_NAME, "td")
            check(cells[2].text == format(round(summary["services"]["elderly_home_care"]["demand"]), ","),
                  "demand cell %r matches the summary" % cells[2].text)
            # The charts: Chart.js instances with one bar per service, drawn on their canvases.
            bars = driver.execute_script(
                "const c = Chart.getChart('coverage-chart'); return c ? c.data.datasets[0].data.length : -1;")
            check(bars == 10, "coverage chart has 10 bars, got %s" % bars)
            painted = driver.execute_script(
                "const c = document.getElementById('coverage-chart');"
                "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                "let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n;")
            check(painted > 1000, "coverage chart canvas is drawn (%d painted pixels)" % painted)
            check(driver.execute_script("return Chart.getChart('unmet-chart') !== undefined"), "unmet chart")
            districts = driver.find_elements(By.CSS_SELECTOR, "#districts-table tbody tr")
            check(len(districts) >= 2, "district table from the communities (%d rows)" % len(districts))
            # An error the server finds (the same validation as the CLI) is shown at its field too.
            driver.find_element(By.ID, "advanced").click()
            set_field(driver, "sizing.households", 1)
            set_field(driver, "sizing.lower", 5000)
            driver.find_element(By.ID, "run-button").click()
            WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "form-error").text)
            form_error = driver.find_element(By.ID, "form-error").text
            check("lower must be < upper" in form_error, "server error shown: %r" % form_error)
            driver.find_element(By.ID, "reset-button").click()
            driver.execute_script("document.getElementById('advanced').open = false; window.scrollTo(0, 0)")
            driver.save_screenshot(screenshot)
            # (The refused POST above is logged by Chromium as a failed load: it is the expected 400.)
            severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"
                      and "/api/runs - Failed to load resource: the server responded with a status of 400" not in e["message"]]
            check(not severe, "no errors in the browser console: %s" % severe)
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
    check(os.path.getsize(screenshot) > 10000, "screenshot written")
    print("browser test passed; screenshot", screenshot)


if __name__ == "__main__":
    main()
