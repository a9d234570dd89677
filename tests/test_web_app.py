"""The web app in Debian's Chromium against the whole system (`chorus web`: API, relay, SPA).

Two people in two browser contexts: Alice signs up, starts a household and invites Bob by link;
Bob joins through the link; a chore Alice creates for Bob appears in Bob's "My day" without a
reload; Bob completes it and Alice's board follows live; Bob undoes it and both see it reopen.
Screenshots of the main screens go to test-results/screenshots/ for people to look at; axe-core
checks the main screens for serious accessibility problems.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.plugin import SCREENSHOTS, ServedProcess

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
ZONE = "Europe/Berlin"
CHORE = "Take out the bins"
# Live updates must arrive well before any polling could bring them (notifications poll at 60 s).
LIVE = 10_000

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
async def contexts(browser: Browser) -> AsyncIterator[tuple[BrowserContext, BrowserContext]]:
    """Alice on a laptop, Bob on a small phone (360 px wide); both in Berlin."""
    alice = await browser.new_context(
        viewport={"width": 1280, "height": 860}, timezone_id=ZONE, locale="en-GB"
    )
    bob = await browser.new_context(
        viewport={"width": 360, "height": 780}, timezone_id=ZONE, locale="en-GB", has_touch=True
    )
    for context in (alice, bob):
        context.set_default_timeout(15_000)
    yield alice, bob
    await alice.close()
    await bob.close()


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the current page."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    assert isinstance(result, list)
    return result


async def check_accessible(page: Page, screen: str) -> None:
    violations = await serious_violations(page)
    assert violations == [], f"{screen}: {violations}"


async def assert_fits(page: Page, screen: str) -> None:
    """Nothing sticks out sideways: the page needs no horizontal scrolling."""
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{screen} is {overflow} px too wide at {page.viewport_size}"


async def sign_up(page: Page, url: str, name: str) -> str:
    email = f"{name.lower()}-{uuid.uuid4().hex[:12]}@example.com"
    await page.goto(url)
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_role("button", name="Create account").click()
    return email


async def test_web_app_two_people_share_a_chore_live(
    web: ServedProcess, contexts: tuple[BrowserContext, BrowserContext]
) -> None:
    alice_context, bob_context = contexts
    alice, bob = await alice_context.new_page(), await bob_context.new_page()

    # Alice signs up and starts a household.
    await alice.goto(f"{web.url}/")
    await expect(alice).to_have_url(re.compile(r"/sign-in"))
    await shot(alice, "01-sign-in")
    await check_accessible(alice, "sign in")
    alice_email = await sign_up(alice, f"{web.url}/sign-up", "Alice")
    await expect(alice.get_by_role("heading", name="Welcome to Chorus")).to_be_visible()
    await shot(alice, "02-welcome")
    await check_accessible(alice, "welcome")
    await alice.get_by_label("Household name").fill("Elm Street")
    await expect(alice.get_by_label("Time zone")).to_have_value(ZONE)
    await alice.get_by_role("button", name="Create household").click()
    await expect(alice.get_by_role("heading", name="My day")).to_be_visible()
    await expect(alice.get_by_text("Nothing due for you today.")).to_be_visible()

    # Alice makes an invite link.
    await alice.get_by_role("link", name="Members").click()
    await expect(alice.get_by_role("heading", name="Members")).to_be_visible()
    await alice.get_by_role("button", name="Create invite link").click()
    link = await alice.get_by_label("Invite link").input_value()
    assert re.fullmatch(rf"{re.escape(web.url)}/join/[A-Z0-9-]+", link), link
    await shot(alice, "03-members-and-invite")
    await check_accessible(alice, "members")

    # Bob opens the link, signs up on the way, and joins.
    await bob.goto(link)
    await expect(bob).to_have_url(re.compile(r"/sign-in\?next=%2Fjoin%2F"))
    await bob.get_by_role("link", name="Create an account").click()
    await bob.get_by_label("Your name").fill("Bob")
    await bob.get_by_label("Email").fill(f"bob-{uuid.uuid4().hex[:12]}@example.com")
    await bob.get_by_label("Password").fill("correct horse battery")
    await bob.get_by_role("button", name="Create account").click()
    await expect(bob.get_by_role("heading", name="Join a household")).to_be_visible()
    await bob.get_by_role("button", name="Join household").click()
    await expect(bob.get_by_role("heading", name="My day")).to_be_visible()
    await expect(bob.get_by_text("Nothing due for you today.")).to_be_visible()
    # Marks this page: a reload would lose it.
    await bob.evaluate("window.chorusNoReload = true")

    # Bad input in the chore editor is explained, and nothing is created.
    await alice.get_by_role("link", name="Chores").click()
    await alice.get_by_role("link", name="New chore").click()
    await expect(alice.get_by_role("heading", name="New chore")).to_be_visible()
    await alice.get_by_role("button", name="Create chore").click()
    await expect(alice.get_by_text(re.compile("title", re.I)).locator("visible=true").first).to_be_visible()
    await expect(alice.get_by_text("Pick at least one person.")).to_be_visible()
    await shot(alice, "04-chore-editor-errors")
    # A rule only the server knows the whole of: an end before the start.
    await alice.get_by_label("Title").fill(CHORE)
    await alice.get_by_role("group", name="Who can do it").get_by_role("checkbox", name="Bob").check()
    await alice.get_by_label("Repeats").select_option(label="Every day")
    await alice.get_by_role("radio", name="On a date").check()
    await alice.get_by_label("End date").fill("2020-01-01")
    await alice.get_by_role("button", name="Create chore").click()
    problem = alice.get_by_text(re.compile("not be before start|before the start", re.I))
    await expect(problem.first).to_be_visible()
    await expect(alice).to_have_url(re.compile(r"/chores/new$"))
    await shot(alice, "04b-chore-editor-end-before-start")
    await alice.get_by_role("radio", name="Never").check()

    # A daily chore for Bob alone; the preview shows its next dates.
    await alice.get_by_label("Effort (minutes)").fill("10")
    await expect(alice.get_by_role("region", name="Next due dates").get_by_role("listitem")).to_have_count(5)
    await shot(alice, "05-chore-editor")
    await check_accessible(alice, "chore editor")
    await alice.get_by_role("button", name="Create chore").click()
    await expect(alice.get_by_role("heading", name=CHORE)).to_be_visible()

    # Bob's "My day" shows it without a reload.
    # (Toasts are list items too, outside <main>.)
    bins = bob.get_by_role("main").get_by_role("listitem").filter(has_text=CHORE)
    await expect(bins).to_have_count(1, timeout=LIVE)
    assert await bob.evaluate("window.chorusNoReload") is True
    # The turn is told apart by its due time (the attribute, not the words, which change at midnight).
    due = await bins.locator("time").get_attribute("datetime")
    first = bins.filter(has=bob.locator(f'time[datetime="{due}"]'))
    await shot(bob, "06-bob-my-day")
    await check_accessible(bob, "my day")
    await assert_fits(bob, "my day")

    # Alice watches the board; Bob completes the chore; the board follows live.
    await alice.get_by_role("link", name="Board").click()
    on_board = alice.get_by_role("region", name="Bob").get_by_role("listitem").filter(has_text=CHORE)
    at_due = alice.locator(f'time[datetime="{due}"]')
    await expect(on_board.filter(has=at_due)).to_have_count(1)
    await shot(alice, "07-alice-board")
    await check_accessible(alice, "board")
    # Done by keyboard.
    await first.get_by_role("button", name=f"Mark “{CHORE}” done").focus()
    await bob.keyboard.press("Enter")
    await expect(bob.get_by_text(f"“{CHORE}” done")).to_be_visible()
    await expect(first).to_have_count(0)
    # The next day's turn takes its place, on both screens.
    await expect(bins).to_have_count(1)
    await expect(on_board.filter(has=at_due)).to_have_count(0, timeout=LIVE)
    await expect(on_board).to_have_count(1)
    await shot(bob, "07b-bob-after-done")

    # Bob undoes it (Alice does nothing) and both see the same turn open again.
    await bob.get_by_role("button", name="Undo").click()
    await expect(bob.get_by_text("Reopened")).to_be_visible()
    await expect(first).to_have_count(1)
    await expect(bins).to_have_count(1)
    await expect(on_board.filter(has=at_due)).to_have_count(1, timeout=LIVE)
    await expect(on_board).to_have_count(1)
    assert await bob.evaluate("window.chorusNoReload") is True

    # The other screens render, and are looked at.
    await alice.get_by_role("button", name=re.compile("^Notifications")).click()
    await shot(alice, "08-notifications")
    await alice.keyboard.press("Escape")
    await alice.get_by_role("link", name="Chores", exact=True).click()
    await alice.get_by_role("link", name=CHORE).click()
    history = alice.get_by_role("region", name="History")
    await expect(history.get_by_text(re.compile("^Done by Bob"))).to_be_visible()
    await expect(history.get_by_text(re.compile("^Undone by Bob"))).to_be_visible()
    await shot(alice, "09-chore-detail")
    await check_accessible(alice, "chore detail")
    await alice.get_by_role("link", name="Fairness").click()
    await expect(alice.get_by_role("heading", name="Fairness")).to_be_visible()
    await expect(alice.get_by_text(f"Bob did {CHORE}", exact=False).first).to_be_visible()
    await shot(alice, "10-fairness")
    await check_accessible(alice, "fairness")
    await alice.get_by_role("link", name="Settings").click()
    await expect(alice.get_by_role("heading", name="Settings")).to_be_visible()
    await shot(alice, "11-settings")
    await check_accessible(alice, "settings")

    # Sign out, ask for a password reset, sign in again: back to the same household.
    await alice.get_by_role("button", name="Sign out").first.click()
    await expect(alice.get_by_role("heading", name="Sign in")).to_be_visible()
    await alice.get_by_role("link", name="Forgot your password?").click()
    await expect(alice.get_by_role("heading", name="Reset your password")).to_be_visible()
    await alice.get_by_label("Email").fill(alice_email)
    await alice.get_by_role("button", name="Send reset link").click()
    await expect(alice.get_by_text(f"If there is an account for {alice_email}")).to_be_visible()
    await alice.get_by_role("link", name="Back to sign in").click()
    await expect(alice.get_by_role("heading", name="Sign in")).to_be_visible()
    await alice.get_by_label("Email").fill(alice_email)
    await alice.get_by_label("Password").fill("wrong password")
    await alice.get_by_role("button", name="Sign in", exact=True).click()
    await expect(alice.get_by_text("That email and password do not match an account.")).to_be_visible()
    await alice.get_by_label("Password").fill("correct horse battery")
    await alice.get_by_role("button", name="Sign in", exact=True).click()
    await expect(alice.get_by_role("heading", name="My day")).to_be_visible()
    household = alice.get_by_role("combobox", name="Household")
    await expect(household.locator("option:checked")).to_have_text("Elm Street")
