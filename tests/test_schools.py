"""Schools on the command line and in the spreadsheet importer: what a practitioner sees."""

from __future__ import annotations

import asyncio
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from cli.app import app
from knowledge import school_csv, schools
from knowledge.links import StartTarget, parse_payload, school_link
from knowledge.store import DEMO_SCHOOLS, Store
from sandbox.server import BOT_USERNAME

runner = CliRunner()
HEADER = "code,name,district,assistant,staff_languages,how_to_apply_uk,how_to_apply_pl\n"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.delenv("BOT_USERNAME", raising=False)
    return url


def stored(url: str) -> dict[str, schools.SchoolDoc]:
    async def load() -> dict[str, schools.SchoolDoc]:
        kb = await Store.open(url)
        try:
            async with kb.sessions() as session:
                return await schools.load_directory(session, demo=True)
        finally:
            await kb.close()

    return asyncio.run(load())


def test_add_list_and_qr_codes_that_decode_to_the_deep_link(db: str, tmp_path: Path) -> None:
    import zxingcpp  # type: ignore[import-not-found]
    from PIL import Image

    added = runner.invoke(
        app,
        ["school", "add", "sp-118", "--name", "SP 118", "--district", "Fabryczna",
         "--languages", "uk, ru", "--assistant"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    link = school_link(BOT_USERNAME, "sp-118")
    assert link in added.stdout
    again = runner.invoke(app, ["school", "add", "sp-118", "--name", "X", "--district", "Y"])
    assert again.exit_code == 2 and "already exists" in again.output
    listed = runner.invoke(app, ["school", "list"])
    assert listed.exit_code == 0 and "sp-118" in listed.stdout and "Fabryczna" in listed.stdout

    png = tmp_path / "poster.png"
    assert runner.invoke(app, ["school", "qr", "sp-118", "--out", str(png)]).exit_code == 0
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(png))] == [link]
    svg = tmp_path / "poster.svg"
    assert runner.invoke(app, ["school", "qr", "sp-118", "--out", str(svg)]).exit_code == 0
    assert ElementTree.parse(svg).getroot().tag.endswith("svg")
    for args, message in (
        (["sp-118", "--out", str(tmp_path / "x.gif")], ".png or .svg"),
        (["nope", "--out", str(png)], "no school with code 'nope'"),
    ):
        refused = runner.invoke(app, ["school", "qr", *args])
        assert refused.exit_code == 2 and message in refused.output


def test_bad_school_fields_are_named(db: str) -> None:
    result = runner.invoke(
        app,
        ["school", "add", "bad code", "--name", "", "--district", "Krzyki",
         "--email", "nope", "--website", "www.x.pl", "--languages", "uk xx"],
    )  # fmt: skip
    assert result.exit_code == 2
    for field in ("code", "name", "email", "website", "staff_languages"):
        assert field in result.output
    assert stored(db) == {}


def test_import_adds_then_updates_and_keeps_history(db: str, tmp_path: Path) -> None:
    sheet = tmp_path / "schools.csv"
    sheet.write_text(HEADER + 'sp-1,SP 1,Krzyki,tak,uk,"Прийдіть у секретаріат.",Przyjdź.\n')
    first = runner.invoke(app, ["school", "import", str(sheet)])
    assert first.exit_code == 0 and "1 added" in first.stdout, first.output
    # Excel's own flavour: BOM and semicolons.
    sheet.write_bytes(
        (
            "\ufeff" + HEADER.replace(",", ";") + "sp-1;SP 1;Krzyki;nie;uk;Телефонуйте.;Przyjdź.\n"
        ).encode()
    )
    second = runner.invoke(app, ["school", "import", str(sheet)])
    assert second.exit_code == 0 and "1 updated" in second.stdout, second.output
    school = stored(db)["sp-1"]
    assert school.assistant is False and school.infos["uk"].how_to_apply == "Телефонуйте."
    assert school.staff_languages == ("uk",)


@pytest.mark.parametrize(
    ("sheet", "problems"),
    [
        (b"", ["the file is empty"]),
        (b"\xff\xfe\x00garbage", ["not UTF-8"]),
        (b"name,district\nX,Y\n", ["missing column 'code'"]),
        (b"code,name,district,colour\n", ["unknown column 'colour'"]),
        (b"code,name,district\n", ["no schools"]),
        (
            HEADER.encode()
            + b"ok-1,SP,Krzyki,yes,uk,a,b\n"
            + b"bad code,SP,Krzyki,yes,uk,a,b\n"
            + b"ok-2,,Krzyki,perhaps,uk,a,b\n"
            + b"ok-1,SP,Krzyki,no,klingon,a,b\n"
            + b"ok-3,SP,Krzyki,no,uk,a,b,extra\n",
            [
                "row 3, column 'code'",
                "row 4, column 'assistant'",
                "row 5, column 'staff_languages'",
                "row 6: more cells than columns",
            ],
        ),
    ],
)
def test_malformed_sheets_are_refused_whole_with_every_problem(
    db: str, tmp_path: Path, sheet: bytes, problems: list[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(sheet)
    result = runner.invoke(app, ["school", "import", str(path)])
    assert result.exit_code == 2
    assert "nothing imported" in result.output
    for problem in problems:
        assert problem in result.output
    assert stored(db) == {}


def test_duplicate_codes_and_long_texts_are_named() -> None:
    sheet = (
        HEADER + "a,SP,K,yes,uk,x,y\n" + "a,SP,K,yes,uk,x,y\n" + f"b,SP,K,yes,uk,{'z' * 3001},y\n"
    )
    with pytest.raises(school_csv.CsvError) as refused:
        school_csv.parse(sheet.encode())
    assert refused.value.problems == [
        "row 3, column 'code': 'a' repeats row 2",
        "row 4, column 'how_to_apply_uk': String should have at most 3000 characters",
    ]


def test_demo_schools_are_marked_and_valid() -> None:
    docs = school_csv.parse(DEMO_SCHOOLS.read_bytes(), demo=True)
    assert docs and all(d.demo and "DEMO" in d.name for d in docs)
    assert all(set(d.infos) == {"en", "pl", "uk", "ru", "be", "ar"} for d in docs)


@pytest.mark.parametrize(
    ("payload", "target"),
    [
        ("s-sp-118", StartTarget("school", "sp-118")),
        ("s-" + "a" * 40, StartTarget("school", "a" * 40)),
        ("s-" + "a" * 41, None),
        ("s-", None),
        ("sp-118", None),
        ("s-sp 118", None),
        ("s-szkoła", None),
        ("x" * 65, None),
        ("", None),
    ],
)
def test_start_payloads(payload: str, target: StartTarget | None) -> None:
    assert parse_payload(payload) == target


def test_every_school_link_fits_telegrams_rules() -> None:
    link = school_link("witaj_bot", "a" * 40)
    payload = link.split("start=")[1]
    assert len(payload) <= 64 and payload.replace("-", "").replace("_", "").isalnum()
    with pytest.raises(ValueError, match="school code"):
        school_link("witaj_bot", "a" * 41)


def test_announce_status_shows_progress(db: str) -> None:
    from knowledge import announcements

    async def prepare() -> None:
        kb = await Store.open(db)
        try:
            async with kb.sessions.begin() as session:
                await announcements.subscribe(session, "k1", 1, "uk", news=True)
                await announcements.subscribe(session, "k2", 2, "ar", category="school")
                row = await announcements.create(
                    session, {"uk": "Привіт"}, "category:school", created_by="anna", topics=[]
                )
                await announcements.start(session, row)
        finally:
            await kb.close()

    asyncio.run(prepare())
    shown = runner.invoke(app, ["announce", "status"])
    assert shown.exit_code == 0, shown.output
    assert "category:school" in shown.stdout and "sending" in shown.stdout
    assert "0/2" in shown.stdout and "anna" in shown.stdout
