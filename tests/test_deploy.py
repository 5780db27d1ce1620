"""The deployment files, checked for what they promise (there is no Docker daemon here; the
operator builds and runs the image — tests/test_packaging.py installs the same wheel and
tests/e2e/test_replicas.py runs the same topology as processes)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.i18n import load_catalog
from knowledge.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
NETWORKS: dict[str, Any] = COMPOSE["networks"]
WITAJ = ("migrate", "bot", "workspace")
SECRET_NAMES = re.compile(r"PASSWORD|TOKEN|SECRET", re.IGNORECASE)
NOT_SETTINGS = {"HEALTH_PORT"}
"""Read by the image's HEALTHCHECK, not by Witaj."""


def _environment(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment") or {}
    return {str(k): str(v) for k, v in env.items()}


def test_the_topology_of_a_city() -> None:
    assert set(SERVICES) >= {"postgres", "redis", "migrate", "bot", "workspace", "proxy"}
    bot = SERVICES["bot"]
    assert bot["deploy"]["replicas"] == 2
    assert bot["command"] == ["witaj", "run"] and _environment("bot")["BOT_MODE"] == "webhook"
    assert SERVICES["workspace"]["command"] == ["witaj", "web"]
    assert SERVICES["migrate"]["command"] == ["witaj", "db", "upgrade"]
    assert SERVICES["migrate"]["restart"] == "no"
    for name in ("bot", "workspace"):
        needs = SERVICES[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
        assert needs["postgres"]["condition"] == "service_healthy"
        assert needs["redis"]["condition"] == "service_healthy"
        assert SERVICES[name]["build"] == "."
    assert SERVICES["proxy"]["image"].startswith("caddy:")
    assert SERVICES["proxy"]["depends_on"]["bot"]["condition"] == "service_healthy"
    for name in ("postgres", "redis", "proxy"):
        assert "test" in SERVICES[name]["healthcheck"], name
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    text = (ROOT / "docker-compose.yml").read_text()
    assert "witaj chat" not in text and "pip install" not in text


def test_only_the_proxy_may_say_who_the_client_is() -> None:
    """The workspace believes X-Forwarded-For from TRUSTED_PROXIES: that is the proxy's own
    fixed address, outside the range other containers get theirs from, not the network."""
    from ipaddress import ip_address, ip_network

    trusted = _environment("workspace")["TRUSTED_PROXIES"]
    proxy = SERVICES["proxy"]["networks"]["default"]["ipv4_address"]
    assert trusted.endswith(f":-{proxy}}}") or trusted == proxy, trusted
    (pool,) = NETWORKS["default"]["ipam"]["config"]
    assert ip_address(proxy) in ip_network(pool["subnet"])
    assert ip_address(proxy) not in ip_network(pool["ip_range"])


def test_no_secret_is_written_in_the_compose_file() -> None:
    for name, service in SERVICES.items():
        for key, value in _environment(name).items():
            if SECRET_NAMES.search(key):
                assert value.startswith("${"), f"{name}.{key} is hard-coded"
        for key, value in _environment(name).items():
            if key == "DATABASE_URL":
                assert re.search(r":\$\{POSTGRES_PASSWORD[^}]*\}@", value), value
        assert "secrets" not in service or isinstance(service["secrets"], list)


def test_every_variable_is_documented_and_every_setting_exists() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert used <= documented, used - documented
    fields = {name.upper() for name in Settings.model_fields}
    for name in WITAJ:
        unknown = set(_environment(name)) - fields - NOT_SETTINGS
        assert not unknown, f"{name}: {unknown} are not settings (typo?)"
    assert all(not re.search(r"=\S", line) or not SECRET_NAMES.search(line.split("=")[0])
               for line in example.splitlines() if not line.startswith("#"))  # fmt: skip


def _as_compose_gives_it(value: str, given: dict[str, str]) -> str:
    """Compose's interpolation: `${KEY}`, `${KEY:-default}` and `${KEY:?error}`."""

    def one(match: re.Match[str]) -> str:
        key, op, rest = match.group(1), match.group(2), match.group(3) or ""
        if given.get(key):
            return given[key]
        assert op != ":?", f"{key} is required and was not given"
        return rest if op == ":-" else ""

    return re.sub(r"\$\{([A-Z_]+)(?:(:-|:\?)([^}]*))?\}", one, value)


@pytest.mark.parametrize("service", WITAJ)
def test_the_containers_start_with_only_the_required_settings_given(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What .env.example marks required is enough: the optional ones arrive empty
    (`${PRACTITIONER_CHAT_ID:-}`) and are then unset, not invalid."""
    required = {
        "BOT_TOKEN": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ",
        "WEBHOOK_SECRET": "s3cret-webhook-value",
        "POSTGRES_PASSWORD": "pw",
        "PUBLIC_HOST": "witaj.example.org",
        "ACME_EMAIL": "ops@example.org",
    }
    for key in list(os.environ):
        if key.upper() in {name.upper() for name in Settings.model_fields}:
            monkeypatch.delenv(key)
    for key, value in _environment(service).items():
        monkeypatch.setenv(key, _as_compose_gives_it(value, required))
    settings = Settings(_env_file=None)
    assert settings.practitioner_chat_id is None
    assert settings.database_url.startswith("postgresql+asyncpg://witaj:pw@postgres")
    if service == "bot":
        assert settings.bot_token is not None and settings.webhook_url


def _stages(dockerfile: str) -> list[str]:
    return re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[1:]


def test_the_image_is_small_safe_and_checks_itself() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    build, final = _stages(dockerfile)
    assert "slim" in build.splitlines()[0] and "slim" in final.splitlines()[0]
    assert "-c constraints.txt" in build  # the pinned versions
    assert "pybabel compile" in build  # compiled catalogues
    assert "COPY --from=build /opt/witaj /opt/witaj" in final
    assert re.search(r"^USER witaj$", final, re.MULTILINE)  # not root
    assert "HEALTHCHECK" in final and "/healthz" in final
    for tool in ("gcc", "build-essential", "apt-get install", "COPY . "):
        assert tool not in final, tool
    assert 'CMD ["witaj", "run"]' in final
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".env", "tests"} <= set(ignored)


def test_the_proxy_balances_the_webhook_and_hides_metrics() -> None:
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert re.search(r"handle /telegram/webhook \{.*?reverse_proxy bot:8081", caddyfile, re.S)
    assert "lb_policy round_robin" in caddyfile
    assert re.search(r"handle /metrics \{\s*respond 404", caddyfile)
    if shutil.which("caddy") is None:
        pytest.skip("caddy is not installed: the Caddyfile was checked as text only")
    env = {**os.environ, "PUBLIC_HOST": "witaj.example.org", "ACME_EMAIL": "ops@example.org"}
    checked = subprocess.run(
        ["caddy", "validate", "--config", str(ROOT / "deploy" / "Caddyfile"),
         "--adapter", "caddyfile"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr[-2000:]


def test_every_catalogue_compiles_and_the_compiled_one_is_used(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    for domain in ("messages", "workspace"):
        done = subprocess.run(
            [str(Path(sys.executable).parent / "pybabel"), "compile", "--domain", domain,
             "-d", str(locales)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0 and "skipping" not in done.stderr, done.stderr
    compiled = locales / "uk" / "LC_MESSAGES" / "messages.mo"
    assert compiled.is_file()
    from_po = load_catalog("uk", ROOT / "locales")
    from_mo = load_catalog("uk", locales)
    message = "Sorry, something went wrong on my side. Please try again in a minute."
    assert from_mo.gettext(message) == from_po.gettext(message) != message
    compiled.write_bytes(b"")  # an unreadable .mo older than its .po is not used
    os.utime(compiled, (0, 0))
    assert load_catalog("uk", locales).gettext(message) == from_po.gettext(message)
