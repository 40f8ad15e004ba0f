"""The privacy centre in a real browser: Debian's Chromium driven by Selenium against a started
`rightskit serve`, with axe-core (as axe-playwright-python ships it) run on every page at WCAG 2.1
AA, on a desktop and on a 360-pixel-wide phone, in English and in Simplified Chinese.

Run by `.ci/browser`, which installs what it needs and passes the server's address and folder:
    python privacy_centre.py URL SERVE_FOLDER RIGHTSKIT_BINARY [SCREENSHOT_FOLDER]
"""

import json
import os
import re
import subprocess
import sys
import traceback
import urllib.request

import axe_playwright_python
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE, FOLDER, BINARY = sys.argv[1], sys.argv[2], sys.argv[3]
SCREENSHOTS = sys.argv[4] if len(sys.argv) > 4 else None
AXE = open(os.path.join(os.path.dirname(axe_playwright_python.__file__), "axe.min.js"), encoding="utf-8").read()
DESKTOP, PHONE = (1280, 1000), (360, 800)


def browser(size):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={size[0]},{size[1]}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_window_size(*size)
    return driver


def axe_violations(driver):
    """axe-core's WCAG 2.1 A and AA rules on the page as it stands; injected by WebDriver, which
    the page's policy (no script at all) does not govern."""
    driver.execute_script(AXE)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))"
        ".catch(e => done(['axe failed: ' + e]));")
    return result


def check_page(driver, name):
    violations = axe_violations(driver)
    assert not violations, f"{name}: axe found {violations}"
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= driver.execute_script("return window.innerWidth") + 1, f"{name}: the page scrolls sideways ({width}px)"
    if SCREENSHOTS:
        driver.save_screenshot(os.path.join(SCREENSHOTS, f"{name}.png"))


def code_for(request_id, binary=None, folder=None):
    """The one-time code the outbox holds for a request, read as the subject's mailbox would."""
    out = subprocess.run([binary or BINARY, "outbox", "--request", request_id, "--json"], cwd=folder or FOLDER, capture_output=True,
                         text=True, check=True)
    bodies = [m["message"]["body"] for m in json.loads(out.stdout) if m["message"]["kind"] == "verification-code"]
    return re.search(r"\d{6,}", bodies[-1]).group(0)


def fetch(driver, path):
    """A GET with the browser's own cookies (HttpOnly ones included, as WebDriver sees them)."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    request = urllib.request.Request(BASE + path, headers={"Cookie": cookies})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def wait(driver, condition, seconds=20):
    """Waits for `condition` on the page the browser is navigating to; an element of the page it
    is leaving (gone stale) or not there yet is not an answer."""
    return WebDriverWait(driver, seconds, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(condition)


def state(driver):
    return driver.find_element(By.ID, "state").get_attribute("data-state")


def file_and_confirm(driver, size_name, language, card, fill, page_names):
    """Files through the card's form, answers the code, and returns the request's id."""
    driver.get(f"{BASE}/?lang={language}")
    check_page(driver, f"privacy-centre-{language}-{size_name}")
    driver.find_element(By.CSS_SELECTOR, f'a[href="/rights/{card}?lang={language}"]').click()
    wait(driver, expected_conditions.presence_of_element_located((By.ID, "subject_value")))
    check_page(driver, f"form-{card}-{language}-{size_name}")
    fill(driver)
    driver.find_element(By.CSS_SELECTOR, 'form[action^="/rights/"] button[type="submit"]').click()
    wait(driver, expected_conditions.presence_of_element_located((By.ID, "state")))
    assert "?" in driver.current_url and "secret" not in driver.current_url
    request_id = driver.current_url.split("/requests/")[1].split("?")[0]
    for cookie in driver.get_cookies():
        assert cookie["value"] not in driver.current_url, "a cookie's value is in the address"
    assert state(driver) == "awaitingVerification", state(driver)
    check_page(driver, page_names[0])
    driver.find_element(By.ID, "code").send_keys(code_for(request_id))
    driver.find_element(By.ID, "code").send_keys(Keys.ENTER)
    wait(driver, lambda d: state(d) not in ("awaitingVerification",))
    check_page(driver, page_names[1])
    return request_id


def access_in_english(size, size_name):
    driver = browser(size)
    try:
        def fill(d):
            d.find_element(By.ID, "subject_value").send_keys("user7@example.cn")
        request_id = file_and_confirm(driver, size_name, "en", "access", fill, [f"code-en-{size_name}", f"done-en-{size_name}"])
        assert state(driver) == "completed", state(driver)
        link = driver.find_element(By.CSS_SELECTOR, f'a[href="/requests/{request_id}/results/access.html"]')
        status, page = fetch(driver, link.get_attribute("href").replace(BASE, ""))
        assert status == 200 and "user7@example.cn" in page, "the readable page holds the person's data"
        # Another request's page shows nothing with this browser's cookies.
        other = json.loads(urllib.request.urlopen(urllib.request.Request(
            BASE + "/v1/requests", data=json.dumps({"right": "access", "subject": {"kind": "email", "value": "user8@example.cn"}}).encode(),
            headers={"Content-Type": "application/json"})).read())["request"]["id"]
        driver.get(f"{BASE}/requests/{other}")
        assert not driver.find_elements(By.ID, "state"), "another request's page opened"
    finally:
        driver.quit()


def erasure_in_chinese(size, size_name):
    driver = browser(size)
    try:
        # Each walk erases its own person: the second would find nothing left to erase.
        person = "user4@example.cn" if size_name == "desktop" else "user14@example.cn"

        def fill(d):
            d.find_element(By.ID, "subject_value").send_keys(person)
            ground = Select(d.find_element(By.ID, "p-ground"))
            ground.select_by_value("consent-withdrawn")
            assert ground.first_selected_option.text == "我已撤回同意", "the ground in the person's words"
        file_and_confirm(driver, size_name, "zh-Hans", "erasure", fill, [f"code-zh-{size_name}", f"done-zh-{size_name}"])
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hans"
        assert driver.find_element(By.TAG_NAME, "h1").text == "您的请求"
        assert state(driver) in ("completed", "partiallyCompleted"), state(driver)
        outcome = driver.find_element(By.ID, "outcome").text
        assert "已删除，理由是您撤回了同意" in outcome, outcome
        assert not re.search(r"erased|deleted|Retained", outcome), "the outcome is all in Chinese: " + outcome
    finally:
        driver.quit()


def cancellation_needs_its_confirmation():
    """The backup warning is on the form; without the box ticked nothing is filed, and the error
    sits at the box; ticked, the request is filed."""
    driver = browser(PHONE)
    try:
        driver.get(f"{BASE}/rights/account-cancellation?lang=en")
        assert "irreversible" in driver.find_element(By.CSS_SELECTOR, "section.notice").text
        check_page(driver, "form-account-cancellation-en-phone")
        driver.find_element(By.ID, "subject_value").send_keys("user8@example.cn")
        driver.find_element(By.CSS_SELECTOR, 'form[action^="/rights/"] button[type="submit"]').click()
        wait(driver, expected_conditions.presence_of_element_located((By.ID, "p-confirm-problem")))
        box = driver.find_element(By.ID, "p-confirm")
        assert box.get_attribute("aria-invalid") == "true" and driver.find_element(By.ID, "p-confirm-problem").text
        check_page(driver, "form-account-cancellation-refused-en-phone")
        box.click()
        driver.find_element(By.CSS_SELECTOR, 'form[action^="/rights/"] button[type="submit"]').click()
        wait(driver, expected_conditions.presence_of_element_located((By.ID, "state")))
        assert state(driver) == "awaitingVerification"
    finally:
        driver.quit()


def keyboard_only():
    """From the top of the page, with the keyboard alone: to the first card, into its form, filed."""
    driver = browser(DESKTOP)
    try:
        driver.get(f"{BASE}/?lang=en")
        body = driver.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.TAB)
        assert driver.switch_to.active_element.get_attribute("class") == "skip", "the first stop is the skip link"
        for _ in range(12):
            active = driver.switch_to.active_element
            if (active.get_attribute("href") or "").endswith("/rights/access?lang=en"):
                break
            active.send_keys(Keys.TAB)
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait(driver, expected_conditions.presence_of_element_located((By.ID, "subject_value")))
        driver.find_element(By.ID, "subject_kind").send_keys(Keys.TAB)
        driver.switch_to.active_element.send_keys("user9@example.cn")
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait(driver, expected_conditions.presence_of_element_located((By.ID, "state")))
        assert state(driver) == "awaitingVerification"
    finally:
        driver.quit()


def open_page_in_both_languages():
    for size, size_name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        driver = browser(size)
        try:
            for language in ("en", "zh-Hans"):
                driver.get(f"{BASE}/requests/open?lang={language}")
                check_page(driver, f"open-{language}-{size_name}")
        finally:
            driver.quit()


def api(method, path, body=None, secret=None):
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Request-Secret"] = secret
    request = urllib.request.Request(BASE + path, data=json.dumps(body).encode() if body is not None else None, headers=headers, method=method)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"{}")


def filed_and_verified(right, email, parameters=None):
    """A request filed and confirmed over the API, as a person's own browser or app would."""
    filed = api("POST", "/v1/requests", {"right": right, "subject": {"kind": "email", "value": email}, "parameters": parameters or {}})
    request_id, secret = filed["request"]["id"], filed["secret"]
    return request_id, api("POST", f"/v1/requests/{request_id}/verification", {"code": code_for(request_id)}, secret)["state"]


def token(role, name):
    return subprocess.run([BINARY, "token", "create", "--role", role, "--name", name], cwd=FOLDER, capture_output=True, text=True,
                          check=True).stdout.strip()


def sign_in(driver, secret, language="en"):
    driver.get(f"{BASE}/console?lang={language}")
    check_page(driver, f"console-sign-in-{language}")
    driver.find_element(By.ID, "token").send_keys(secret)
    driver.find_element(By.ID, "token").send_keys(Keys.ENTER)
    wait(driver, lambda d: not d.find_elements(By.ID, "token"))


def operator_console():
    copy, copy_state = filed_and_verified("portability", "user10@example.cn", {"mode": "copy"})
    assert copy_state == "awaitingReview", copy_state
    other, _ = filed_and_verified("portability", "user11@example.cn", {"mode": "copy"})
    driver = browser(DESKTOP)
    try:
        sign_in(driver, token("operator", "li.ops"))
        check_page(driver, "console-queue")
        driver.find_element(By.CSS_SELECTOR, f'a[href^="/console/requests/{copy}"]').click()
        wait(driver, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, f'form[action="/console/requests/{copy}/approve"]')))
        check_page(driver, "console-request")
        driver.find_element(By.CSS_SELECTOR, f'form[action="/console/requests/{copy}/approve"] button').click()
        wait(driver, lambda d: state(d) == "completed")
        driver.get(f"{BASE}/console/requests/{other}")
        driver.find_element(By.ID, "deny-ground").send_keys("manifestly")
        driver.find_element(By.ID, "deny-note").send_keys("asked twice this week")
        driver.find_element(By.CSS_SELECTOR, f'form[action="/console/requests/{other}/deny"] button').click()
        wait(driver, lambda d: state(d) == "denied")
        driver.get(f"{BASE}/console/holds")
        check_page(driver, "console-holds")
        driver.find_element(By.ID, "hold-subject").send_keys("user12@example.cn")
        driver.find_element(By.ID, "hold-authority").send_keys("Court order 2026-17")
        driver.find_element(By.CSS_SELECTOR, 'form[action="/console/holds"] button[type="submit"]').click()
        wait(driver, lambda d: "Court order 2026-17" in d.page_source)
        held, held_state = filed_and_verified("access", "user12@example.cn")
        assert held_state == "denied", held_state
        driver.get(f"{BASE}/console/requests/{held}")
        assert state(driver) == "denied"
        driver.get(f"{BASE}/console/audit")
        check_page(driver, "console-audit")
        driver.get(f"{BASE}/console/discontinuations")
        check_page(driver, "console-discontinuation")
        driver.get(f"{BASE}/console/reports")
        assert driver.find_elements(By.CSS_SELECTOR, "svg[role=img] title"), "the report's charts"
        check_page(driver, "console-reports")
        driver.get(f"{BASE}/console/reports?lang=zh-Hans")
        check_page(driver, "console-reports-zh-Hans")
        driver.get(f"{BASE}/console?lang=zh-Hans")
        check_page(driver, "console-queue-zh-Hans")
    finally:
        driver.quit()
    phone = browser(PHONE)
    try:
        sign_in(phone, token("auditor", "zhao.audit"), "zh-Hans")
        for path, name in (("/console?lang=zh-Hans", "console-queue-zh-Hans-phone"), ("/console/reports?lang=zh-Hans", "console-reports-zh-Hans-phone"),
                           (f"/console/requests/{copy}?lang=zh-Hans", "console-request-zh-Hans-phone"), ("/console/audit?lang=en", "console-audit-en-phone")):
            phone.get(BASE + path)
            check_page(phone, name)
    finally:
        phone.quit()
    reviewer = browser(DESKTOP)
    try:
        sign_in(reviewer, token("reviewer", "wang.review"))
        reviewer.get(f"{BASE}/console/holds")
        assert not reviewer.find_elements(By.ID, "hold-subject"), "a reviewer was shown the hold form"
        check_page(reviewer, "console-reviewer-holds")
    finally:
        reviewer.quit()


def right_added_from_outside():
    """Examples/CustomRight's restriction right, served by that package's own composition root:
    its card and its form (the grounds it declares as a choice) come with no template of its own."""
    custom = os.environ.get("CUSTOM_RIGHTS")
    assert custom, "the CustomRight example was not built (.ci/run builds it before this)"
    base, folder, binary = custom.split(" ")
    driver = browser(DESKTOP)
    try:
        driver.get(f"{base}/?lang=en")
        driver.find_element(By.CSS_SELECTOR, 'a[href="/rights/restriction?lang=en"]').click()
        wait(driver, expected_conditions.presence_of_element_located((By.ID, "p-ground")))
        check_page(driver, "form-restriction-en-desktop")
        driver.find_element(By.ID, "subject_value").send_keys("user5@example.cn")
        Select(driver.find_element(By.ID, "p-ground")).select_by_value("accuracy-contested")
        driver.find_element(By.CSS_SELECTOR, 'form[action^="/rights/"] button[type="submit"]').click()
        wait(driver, expected_conditions.presence_of_element_located((By.ID, "state")))
        request_id = driver.current_url.split("/requests/")[1].split("?")[0]
        driver.find_element(By.ID, "code").send_keys(code_for(request_id, binary, folder))
        driver.find_element(By.ID, "code").send_keys(Keys.ENTER)
        wait(driver, lambda d: state(d) != "awaitingVerification")
        assert state(driver) == "completed", state(driver)
    finally:
        driver.quit()


CHECKS = [
    ("an access request filed, confirmed and downloaded (desktop)", lambda: access_in_english(DESKTOP, "desktop")),
    ("an access request filed, confirmed and downloaded (phone)", lambda: access_in_english(PHONE, "phone")),
    ("an erasure with its ground, in Chinese (desktop)", lambda: erasure_in_chinese(DESKTOP, "desktop")),
    ("an erasure with its ground, in Chinese (phone)", lambda: erasure_in_chinese(PHONE, "phone")),
    ("a cancellation shows the backup warning and needs its confirmation", cancellation_needs_its_confirmation),
    ("a filing with the keyboard alone", keyboard_only),
    ("the page that opens a request, in both languages", open_page_in_both_languages),
    ("a right added from outside (CustomRight's restriction) is filed through its generated form", right_added_from_outside),
    ("an operator approves a copy, denies one with a ground, places a hold that denies the next; a reviewer cannot", operator_console),
]

passed = failed = 0
for name, check in CHECKS:
    try:
        check()
        passed += 1
        print(f"browser: ok   {name}")
    except Exception:
        failed += 1
        print(f"browser: FAIL {name}")
        traceback.print_exc()
print(f"browser: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
