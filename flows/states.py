"""Every dialog's states, in one place (window order inside a group matters for Back)."""

from aiogram.fsm.state import State, StatesGroup


class LanguageSG(StatesGroup):
    choose = State()


class MainSG(StatesGroup):
    menu = State()


class BrowseSG(StatesGroup):
    topics = State()


class AnswerSG(StatesGroup):
    card = State()
    details = State()
    bilingual = State()
    unknown = State()


class AskSG(StatesGroup):
    prompt = State()


class HandoffSG(StatesGroup):
    write = State()
    chat = State()


class PrivacySG(StatesGroup):
    about = State()
    confirm_forget = State()


class SchoolSG(StatesGroup):
    districts = State()
    schools = State()
    card = State()


class SubscribeSG(StatesGroup):
    settings = State()


class SafetySG(StatesGroup):
    alert = State()


class PathSG(StatesGroup):
    choose = State()
    ask = State()
    checklist = State()
    next = State()
