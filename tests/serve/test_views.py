#!/usr/bin/python3
"""The planning views of the page in a real browser (issue 28; headless Chromium through
chromedriver, python3-selenium): on a small city set in the form, ask where 3 more community
workers go and find them on the map and in the table; find a front over community workers per
10,000 residents, click a point of its chart, see its levers and run it: the run appears and costs
what the point said; then the planning resources over HTTP (methods, errors, Location). Screenshots: WORK_DIR/workbench-allocation.png and WORK_DIR/workbench-front.png.

usage: test_views.py COMMSIM_BINARY SOURCE_DIR WORK_DIR
"""

import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import Server, args, check  # noqa: E402
from test_browser import browser, set_field  # noqa: E402

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

SMALL = {"run.days": 14, "city.generator.communities": 13}


def check_allocation(driver, server, work):
    """Where 3 more community workers go: the map and the table show the 3, as the API has them."""
    Select(driver.find_element(By.ID, "alloc-role")).select_by_value("community_worker")
    add = driver.find_element(By.ID, "alloc-add")
    add.clear()
    add.send_keys("3")
    driver.find_element(By.ID, "alloc-button").click()
    WebDriverWait(driver, 300).until(EC.visibility_of_element_located((By.ID, "alloc-results")))
    jobs = server.json("GET", "/api/allocations")["allocations"]
    check(len(jobs) == 1 and jobs[0]["set"] == SMALL, "one allocation on the form's levers: %s" % jobs)
    result = server.json("GET", "/api/allocations/" + jobs[0]["id"])["result"]
    rows = driver.find_elements(By.CSS_SELECTOR, "#alloc-table tbody tr")
    check(len(rows) == len(result["communities"]) == 13, "one row per community (%d)" % len(rows))
    added = [int(r.find_elements(By.TAG_NAME, "td")[4].text) for r in rows]
    check(sum(added) == 3, "the table adds 3 workers: %s" % added)
    check(added == sorted(added, reverse=True), "communities with most workers added first")
    placed = driver.execute_script("return plan.allocMap.points.length")
    check(placed == 13, "every community on the map (%s)" % placed)
    drawn = driver.execute_script(
        "return plan.allocMap.communities.filter(c => c.added > 0).reduce((s, c) => s + c.added, 0)")
    check(drawn == 3, "the map's circles carry the 3 workers (%s)" % drawn)
    facts = driver.find_element(By.ID, "alloc-facts").text
    check(facts.startswith("3 community_worker added"), "facts: %r" % facts)
    removed = sum(c["unmet_hours_removed"] for c in result["communities"])
    check(removed >= 0, "the workers remove unmet hours on the search's streams (%s)" % removed)
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(os.path.join(work, "workbench-allocation.png"))


def click_point(driver, index):
    """A real click on point `index` of the front's chart."""
    canvas = driver.find_element(By.ID, "front-chart")
    x, y, w, h = driver.execute_script(
        "const c = Chart.getChart('front-chart'); const p = c.getDatasetMeta(0).data[arguments[0]];"
        "const r = c.canvas.getBoundingClientRect(); return [p.x, p.y, r.width, r.height];", index)
    ActionChains(driver).move_to_element_with_offset(canvas, int(x - w / 2), int(y - h / 2)).click().perform()


def check_front(driver, server, work):
    """A front over community workers per 10,000: click a point, see its levers, run it."""
    Select(driver.find_element(By.ID, "front-lever-1")).select_by_value("staffing.rules.community_worker.per_10k")
    for field, value in (("front-low-1", "10"), ("front-high-1", "30"), ("front-population", "8"), ("front-generations", "1")):
        box = driver.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    driver.find_element(By.ID, "front-button").click()
    WebDriverWait(driver, 300).until(EC.visibility_of_element_located((By.ID, "front-results")))
    fronts = server.json("GET", "/api/fronts")["fronts"]
    check(len(fronts) == 1 and fronts[0]["request"]["population"] == 8, "one front: %s" % fronts)
    front = server.json("GET", "/api/fronts/" + fronts[0]["id"])["result"]["front"]
    plotted = driver.execute_script("return Chart.getChart('front-chart').data.datasets[0].data.length")
    check(plotted == len(front) >= 2, "the chart plots the front's %d points (%s)" % (len(front), plotted))
    index = len(front) // 2
    click_point(driver, index)
    WebDriverWait(driver, 30).until(EC.visibility_of_element_located((By.ID, "front-point")))
    text = driver.find_element(By.ID, "front-point-table").text
    check("staffing.rules.community_worker.per_10k" in text and "cost_total_yuan" in text, "the point's levers: %r" % text)
    check(("point %d of" % (index + 1)) in text, "the clicked point is shown: %r" % text)
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(os.path.join(work, "workbench-front.png"))
    driver.find_element(By.ID, "front-run-button").click()
    point = front[index]

    def run_shown(d):
        runs = server.json("GET", "/api/runs")["runs"]
        return (len(runs) == 1 and runs[0]["status"] == "done" and
                d.find_element(By.ID, "run-title").text.startswith(runs[0]["id"]) and
                d.find_element(By.ID, "run-results").is_displayed())
    WebDriverWait(driver, 300).until(run_shown)
    run = server.json("GET", "/api/runs")["runs"][0]
    check(run["set"] == point["run_set"], "the run has the point's levers: %s" % run["set"])
    cost = server.json("GET", "/api/runs/%s/summary" % run["id"])["cost"]["total_yuan"]
    want = point["objectives"]["cost_total_yuan"]
    check(abs(cost - want) <= 0.01 * abs(want), "the run costs what the point said: %s vs %s" % (cost, want))


def check_http(server):
    """The planning resources over HTTP: methods, errors at their field, Location, kinds kept apart."""
    status, headers, _ = server.request("PUT", "/api/fronts", {})
    check(status == 405 and headers.get("allow") == "GET, HEAD, POST", "PUT /api/fronts: %s %s" % (status, headers))
    status, _, _ = server.request("GET", "/api/allocations?x=1")
    check(status == 400, "the list takes no query (%s)" % status)
    err = server.json("POST", "/api/allocations", {"scenario": "xian-baseline", "set": SMALL, "role": "nobody", "add": 1},
                      expect=400)
    check(err["key"] == "role" and "unknown role 'nobody'" in err["message"], "a bad role at its field: %s" % err)
    status, headers, body = server.request("POST", "/api/allocations",
                                           {"scenario": "xian-baseline", "set": SMALL, "role": "community_worker", "add": 1})
    job = json.loads(body)
    check(status == 202 and headers.get("location") == "/api/allocations/" + job["id"], "Location: %s" % headers)
    check(server.request("GET", "/api/runs/" + job["id"])[0] == 404, "an allocation is not a run")
    deadline = time.time() + 120
    while server.json("GET", "/api/allocations/" + job["id"])["status"] not in ("done", "failed") and time.time() < deadline:
        time.sleep(0.2)
    check(server.json("GET", "/api/allocations/" + job["id"])["result"]["added"] == 1, "the allocation adds 1")


def main():
    binary, source, work = args()
    profile = tempfile.mkdtemp(prefix="commsim-chromium-")
    with Server(binary, source, os.path.join(work, "data")) as server:
        driver = browser(profile)
        try:
            driver.get("http://127.0.0.1:%d/" % server.port)
            WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.CSS_SELECTOR, 'input[data-key="run.days"]')))
            for key, value in SMALL.items():
                set_field(driver, key, value)
            check_allocation(driver, server, work)
            check_front(driver, server, work)
            check_http(server)
            severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            check(not severe, "no errors in the browser console: %s" % severe)
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
    print("views test passed; screenshots in", work)


if __name__ == "__main__":
    main()
