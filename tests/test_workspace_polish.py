"""Workspace polish (issue 19, item 7): every save says so, in the practitioner's language; the
inbox picks no topic for the practitioner; a topic without a review date is "never reviewed",
not overdue; the pager counts its pages right."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
import pytest_asyncio

from knowledge import gaps
from knowledge.enums import TicketStatus
from knowledge.i18n import workspace_i18n
from knowledge.models import Ticket, UnansweredQuestion
from tests.test_security import OWN, Browser, Site, seeded, site  # noqa: F401 (fixtures)
from workspace.inbox import INBOX_PAGE
from workspace.paging import paginate
from workspace.tickets import TICKETS_PAGE

WORKSPACE = workspace_i18n("en")


class Forms(HTMLParser):
    """The forms of a page, each as a browser would send it (without its buttons)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._form: dict[str, str] | None = None
        self._text: str | None = None
        self._select: str | None = None
        self.options: dict[str, list[tuple[str, bool, str]]] = {}
        """Per select: (value, pre-selected, label) of each option."""
        self._option: tuple[str, bool] | None = None
        self._label = ""
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = self.forms.setdefault(a.get("action", ""), {})
        elif tag == "input" and self._form is not None and "name" in a:
            kind = a.get("type", "text")
            if kind not in ("checkbox", "radio") or "checked" in a:
                self._form[a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "textarea" and self._form is not None:
            self._text = a["name"]
            self._form[self._text] = ""
        elif tag == "select":
            self._select = a.get("name", "")
            self.options[self._select] = []
        elif tag == "option" and self._select is not None:
            self._option, self._label = (a.get("value", ""), "selected" in a), ""
            self.options[self._select].append(("", False, ""))

    def handle_data(self, data: str) -> None:
        if self._text is not None and self._form is not None:
            self._form[self._text] += data
        if self._option is not None:
            self._label += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._text = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value, marked = self._option
            self.options[self._select][-1] = (value, marked, self._label.strip())
            self._option = None
        elif tag == "select" and self._select is not None:
            if self._form is not None and self.options[self._select]:
                self._form[self._select] = chosen(self.options[self._select])
            self._select = None
        elif tag == "form":
            self._form = None


def chosen(options: list[tuple[str, bool, str]]) -> str:
    """What a browser sends for a select nobody touched: the last option marked selected, or
    else the first one."""
    marked = [value for value, selected, _ in options if selected]
    return marked[-1] if marked else options[0][0]


@pytest_asyncio.fixture
async def admin(site: Site) -> AsyncIterator[Browser]:
    browser = Browser(site, headers={"Accept-Language": "en"})
    assert await browser.login("admin") == 303
    yield browser
    await browser.close()


async def save(browser: Browser, path: str, form: dict[str, str]) -> str:
    """Post a form the way a browser does: follow the redirect, return the page it lands on."""
    status, page, location = await browser.post(path, form)
    assert status == 303, (status, page[:300])
    assert location.startswith("/"), location
    status, page, _ = await browser.get(location.split("#")[0])
    assert status == 200
    return page


def notice(page: str) -> str:
    """The confirmation on top of the page (empty when there is none)."""
    start = page.find('id="saved">')
    return page[start + len('id="saved">') : page.index("</p>", start)] if start >= 0 else ""


def translated(lang: str, text: str) -> str:
    return WORKSPACE.get(lang).gettext(text)


# --- a visible "saved" after every save


async def test_every_save_lands_on_a_page_that_says_it_was_saved(
    site: Site,
    admin: Browser,
) -> None:
    _, page, _ = await admin.get("/t/pesel/en")
    assert notice(page) == ""  # only after a save
    editor = Forms(page).forms["/t/pesel/en"]
    assert notice(await save(admin, "/t/pesel/en", {**editor, "action": "save"})) == "Saved."
    _, page, _ = await admin.get("/t/pesel/en")
    editor = Forms(page).forms["/t/pesel/en"]
    reviewed = await save(admin, "/t/pesel/en", {**editor, "action": "review"})
    assert notice(reviewed) == "Saved and marked as reviewed."
    first = next(a for a in Forms(reviewed).forms if a.startswith("/t/pesel/en/restore/"))
    assert notice(await save(admin, first, {})).startswith("Restored:")

    _, page, _ = await admin.get(f"/schools/{OWN}")
    facts = Forms(page).forms[f"/schools/{OWN}"]
    assert notice(await save(admin, f"/schools/{OWN}", facts)) == "Saved."
    info = {
        "who_can_join": "Children aged 7-15 who do not speak Polish yet.",
        "how_to_apply": "Come to the secretary's office with the child.",
        "what_to_bring": "Passport, address registration.",
    }
    _, page, _ = await admin.get(f"/schools/{OWN}/en")
    form = {**Forms(page).forms[f"/schools/{OWN}/en"], **info}
    assert notice(await save(admin, f"/schools/{OWN}/en", {**form, "action": "save"})) == "Saved."
    _, page, _ = await admin.get(f"/schools/{OWN}/en")
    form = Forms(page).forms[f"/schools/{OWN}/en"]
    page = await save(admin, f"/schools/{OWN}/en", {**form, "action": "review"})
    assert notice(page) == "Saved and marked as reviewed."
    restore = next(a for a in Forms(page).forms if a.startswith(f"/schools/{OWN}/en/restore/"))
    assert notice(await save(admin, restore, {})).startswith("Restored:")
    added = {"code": "sp-99", "name": "Szkoła Podstawowa nr 99", "district": "Krzyki"}
    assert notice(await save(admin, "/schools", added)) == "Saved: the school is added."

    page = await save(admin, "/reviews/pesel", {"owner": "editor", "review_due": "2027-01-31"})
    assert notice(page) == "Saved: the owner and review date of pesel."
    row = page.split('id="review-pesel"')[1].split("</tr>")[0]
    assert "✓ Saved." in row  # where the page scrolls to (…#review-pesel) as well
    assert page.count('class="saved-mark"') == 1
    page = await save(admin, "/announcements", {"audience": "all", "text_en": "Hello"})
    assert notice(page) == "Saved: the announcement is on its way."
    stop = next(a for a in Forms(page).forms if a.endswith("/cancel"))
    assert notice(await save(admin, stop, {})).startswith("Stopped:")

    async with site.store.sessions.begin() as session:
        session.add(UnansweredQuestion(user_key="k", text="Gdzie jest basen?", lang="pl"))
    _, page, _ = await admin.get("/unanswered")
    new = {
        **Forms(page).forms["/unanswered/new"],
        "slug": "swimming-pools",
        "category": "everyday",
        "title": "Baseny",
        "answer": "Miejskie baseny we Wrocławiu.",
        "source_url": "https://www.wroclaw.pl/sport/baseny",
    }
    page = await save(admin, "/unanswered/new", new)
    assert notice(page).startswith("Saved: a new draft topic.")


@pytest.mark.parametrize("lang", ["pl", "uk"])
async def test_the_confirmation_is_in_the_practitioners_language(
    site: Site,
    lang: str,
) -> None:
    browser = Browser(site, headers={"Accept-Language": lang})
    try:
        assert await browser.login("admin") == 303
        _, page, _ = await browser.get("/t/pesel/uk")
        editor = Forms(page).forms["/t/pesel/uk"]
        page = await save(browser, "/t/pesel/uk", {**editor, "action": "review"})
        said = notice(page)
        assert said == translated(lang, "Saved and marked as reviewed.")
        assert said and said != "Saved and marked as reviewed."
        page = await save(browser, "/reviews/pesel", {"owner": "", "review_due": "2027-01-31"})
        plan = translated(lang, "Saved: the owner and review date of {topic}.")
        assert notice(page) == plan.format(topic="pesel") != plan
    finally:
        await browser.close()


async def test_only_our_own_words_show_as_a_confirmation(admin: Browser) -> None:
    _, page, _ = await admin.get("/reviews?saved=<b>hacked</b>")
    assert notice(page) == "" and "hacked" not in page
    _, page, _ = await admin.get("/reviews?saved=plan&topic=<b>x</b>")
    assert notice(page) == "Saved."  # not a topic's name: nothing of it is shown


# --- no pre-selected suggestion in the inbox


async def test_the_inbox_suggests_a_topic_but_picks_none(
    site: Site,
    admin: Browser,
) -> None:
    async with site.store.sessions.begin() as session:
        session.add(
            UnansweredQuestion(
                user_key="k", text="Jak dostać numer pesel dla dziecka?", lang="pl",
                guesses=["pesel", "school-enrolment"],
            )
        )  # fmt: skip
    _, page, _ = await admin.get("/unanswered")
    forms = Forms(page)
    options = forms.options["slug"]
    assert chosen(options) == ""  # the form as it comes: no topic picked
    assert [value for value, selected, _ in options if selected] in ([], [""])
    assert ("pesel", False, "★ pesel") in options  # the suggestion is still shown
    assert 'name="slug" required' in page

    # Sent as it came (a browser refuses; a script need not): nothing is linked.
    link = forms.forms["/unanswered/link"]
    page = await save(admin, "/unanswered/link", link)
    assert "Nothing was linked: choose the topic that answers these questions." in page
    async with site.store.sessions() as session:
        assert len(await gaps.unanswered_groups(session)) == 1


async def test_a_question_taught_to_a_topic_leaves_its_askers_details_behind(
    site: Site,
    admin: Browser,
) -> None:
    """The topic is content: exported, backed up, out of `/forget`'s reach. What identifies
    the person who asked (numbers, addresses, links) does not go into it."""
    asked = "Mój PESEL 85010112345 nie działa, tel. +48 600 700 800, anna.k@example.com, pomocy"
    async with site.store.sessions.begin() as session:
        session.add(UnansweredQuestion(user_key="k", text=asked, lang="pl", guesses=["pesel"]))
    _, page, _ = await admin.get("/unanswered")
    link = {**Forms(page).forms["/unanswered/link"], "slug": "pesel"}
    await save(admin, "/unanswered/link", link)
    _, page, _ = await admin.get("/t/pesel/pl")
    taught = "Mój PESEL nie działa, tel. , pomocy"
    assert taught in page
    assert not any(secret in page for secret in ("85010112345", "600 700 800", "example.com"))


async def test_a_new_topic_from_the_inbox_cites_only_a_web_address(admin: Browser) -> None:
    new = {
        "ids": "", "slug": "probe", "lang": "pl", "category": "everyday", "title": "Probe",
        "answer": "Probe.", "source_title": "Click", "source_url": "javascript:alert(1)",
    }  # fmt: skip
    status, page, _ = await admin.post("/unanswered/new", new)
    assert status == 400 and "is not a web address" in page


# --- "never reviewed" is not "overdue"


def test_only_a_passed_review_date_is_overdue() -> None:
    today = date(2026, 12, 6)
    reviewed = datetime(2026, 6, 1, tzinfo=UTC)
    never = gaps.Due("never", None, None, None)
    unscheduled = gaps.Due("unscheduled", "anna", None, None, last_reviewed=reviewed)
    late = gaps.Due("late", "anna", 7, today - timedelta(days=1))
    due_today = gaps.Due("today", "anna", 7, today)
    later = gaps.Due("later", None, None, today + timedelta(days=30))
    plan = [never, unscheduled, late, due_today, later]
    assert never.state(today) is gaps.ReviewState.NEVER_REVIEWED
    assert unscheduled.state(today) is gaps.ReviewState.UNSCHEDULED
    assert late.state(today) is gaps.ReviewState.OVERDUE
    assert due_today.state(today) is gaps.ReviewState.SCHEDULED
    assert later.state(today) is gaps.ReviewState.SCHEDULED  # no owner yet is not late either
    assert gaps.overdue(plan, today) == [late]
    assert gaps.reminders(plan, today) == {7: [late]}


async def test_the_reviews_page_says_never_reviewed(site: Site, admin: Browser) -> None:
    async with site.store.sessions() as session:
        plan = await gaps.review_plan(session)
    assert {d.state(date.today()) for d in plan} == {gaps.ReviewState.NEVER_REVIEWED}
    _, page, _ = await admin.get("/reviews")
    row = page.split('id="review-pesel"')[1].split("</tr>")[0]
    assert 'data-state="never-reviewed"' in row and "never reviewed" in row
    assert "overdue" not in row and 'class="late"' not in row

    past = (date.today() - timedelta(days=3)).isoformat()
    page = await save(admin, "/reviews/pesel", {"owner": "editor", "review_due": past})
    row = page.split('id="review-pesel"')[1].split("</tr>")[0]
    assert 'data-state="overdue"' in row and "overdue" in row and 'class="late"' in page
    order = [part.split('"')[0] for part in page.split('id="review-')[1:]]
    async with site.store.sessions() as session:
        plan = await gaps.review_plan(session)
    assert [d.slug for d in plan] == order
    before = plan[: order.index("pesel")]  # only facts about to expire come before it
    assert all(d.expires is not None for d in before)

    _, page, _ = await admin.get("/t/bank-account/en")
    editor = Forms(page).forms["/t/bank-account/en"]
    await save(admin, "/t/bank-account/en", {**editor, "action": "review"})
    _, page, _ = await admin.get("/reviews")
    row = page.split('id="review-bank-account"')[1].split("</tr>")[0]
    assert 'data-state="unscheduled"' in row and "no review date" in row


# --- the pager


@pytest.mark.parametrize(
    ("count", "wanted", "number", "pages", "shown"),
    [
        (0, None, 1, 1, []),
        (1, None, 1, 1, [0]),
        (10, None, 1, 1, list(range(10))),  # exactly full: still one page
        (11, None, 1, 2, list(range(10))),
        (11, "2", 2, 2, [10]),
        (30, "1", 1, 3, list(range(10))),  # "1 of 3"
        (30, "3", 3, 3, list(range(20, 30))),
        (21, "3", 3, 3, [20]),
        (21, "4", 3, 3, [20]),  # past the end: the last page
        (21, "0", 1, 3, list(range(10))),
        (21, "-1", 1, 3, list(range(10))),
        (21, "two", 1, 3, list(range(10))),
        (0, "5", 1, 1, []),
    ],
)
def test_pages(count: int, wanted: str | None, number: int, pages: int, shown: list[int]) -> None:
    page = paginate(list(range(count)), wanted, 10)
    assert (page.number, page.pages, page.items, page.total) == (number, pages, shown, count)
    assert page.previous == (number - 1 if number > 1 else None)
    assert page.next == (number + 1 if number < pages else None)


async def _questions(site: Site, n: int) -> None:
    """`n` questions nobody could answer, each unlike the others (one group each)."""
    async with site.store.sessions.begin() as session:
        for i in range(n):
            text = hashlib.sha256(str(i).encode()).hexdigest()[:16]
            session.add(UnansweredQuestion(user_key=f"u{i}", text=text, lang="en"))


def _pager(page: str) -> str:
    start = page.find('class="page-of">')
    return page[start + len('class="page-of">') : page.index("<", start + 16)] if start >= 0 else ""


@pytest.mark.parametrize(
    ("count", "path", "says", "groups"),
    [
        (0, "/unanswered", "", 0),
        (1, "/unanswered", "", 1),
        (INBOX_PAGE, "/unanswered", "", INBOX_PAGE),
        (INBOX_PAGE + 1, "/unanswered", "Page 1 of 2", INBOX_PAGE),
        (INBOX_PAGE + 1, "/unanswered?page=2", "Page 2 of 2", 1),
        (2 * INBOX_PAGE + 1, "/unanswered", "Page 1 of 3", INBOX_PAGE),
        (2 * INBOX_PAGE + 1, "/unanswered?page=3", "Page 3 of 3", 1),
        (2 * INBOX_PAGE + 1, "/unanswered?page=9", "Page 3 of 3", 1),
    ],
)
async def test_the_inbox_pager(
    site: Site,
    admin: Browser,
    count: int,
    path: str,
    says: str,
    groups: int,
) -> None:
    await _questions(site, count)
    async with site.store.sessions() as session:
        assert len(await gaps.unanswered_groups(session)) == count
    _, page, _ = await admin.get(path)
    assert _pager(page) == says
    assert page.count('<article class="group"') == groups
    if says == "Page 1 of 3":
        assert 'href="?page=2" rel="next"' in page and 'rel="prev"' not in page
    if says == "Page 3 of 3":
        assert 'href="?page=2" rel="prev"' in page and 'rel="next"' not in page


async def test_the_tickets_pager(site: Site, admin: Browser) -> None:
    async with site.store.sessions.begin() as session:
        for i in range(TICKETS_PAGE + 1):
            session.add(Ticket(user_key=f"u{i}", chat_id=i, lang="uk", status=TicketStatus.CLOSED))
    _, page, _ = await admin.get("/tickets")
    assert _pager(page) == "Page 1 of 2" and page.count('id="ticket-') == TICKETS_PAGE
    _, page, _ = await admin.get("/tickets?page=2")
    assert _pager(page) == "Page 2 of 2" and page.count('id="ticket-') == 1
    _, page, _ = await admin.get("/tickets?lang=uk")
    assert _pager(page) == translated("uk", "Page {n} of {pages}").format(n=1, pages=2)
