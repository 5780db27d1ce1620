"""The built wheel carries everything the image would run: the `witaj` command, migrations,
seed content, catalogues, templates and static files — proved by installing it into a fresh
virtualenv and using it from outside the source tree."""

from __future__ import annotations

import os
import shutil
import site
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the wheel of this project; its dependencies come from ours."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # setuptools builds in the tree: build a copy, not the checkout
    shutil.copytree(
        ROOT, source,
        ignore=shutil.ignore_patterns(".venv", ".git", "var", "build", "*.egg-info", "__pycache__",
                                      ".*_cache", "node_modules"),
    )  # fmt: skip
    for domain in ("messages", "workspace"):  # as the Dockerfile does
        subprocess.run(
            [str(Path(sys.executable).parent / "pybabel"), "compile", "--domain", domain,
             "-d", str(source / "locales")],
            check=True, capture_output=True,
        )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(work), str(source)],
        check=True, capture_output=True, cwd=work,
    )  # fmt: skip
    wheel = next(work.glob("witaj-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = next((venv / "lib").glob("python3*/site-packages"))
    # Dependencies from this environment, after the venv's own site-packages (where the wheel
    # goes); a path listed in a .pth file does not run that folder's own .pth files, so this
    # project's editable install stays out of sight.
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (purelib / "zz_dependencies.pth").write_text("\n".join(deps) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(purelib),
         str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    return venv


def _run(
    venv: Path, *args: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "python"), "-m", "cli", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120,
    )  # fmt: skip


def test_the_installed_wheel_runs_and_serves_a_page(installed: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}",
        "PYTHONPATH": "",
    }
    env.pop("CONTENT_DIR", None)
    where = _run(installed, "--help", env=env, cwd=tmp_path)
    assert where.returncode == 0 and "witaj" in where.stdout.lower(), where.stderr
    located = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import cli, workspace; print(cli.__file__)"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    )  # fmt: skip
    assert str(ROOT) not in located.stdout and "site-packages" in located.stdout
    package = Path(located.stdout.strip()).parent.parent
    assert (package / "locales" / "uk" / "LC_MESSAGES" / "messages.mo").is_file()
    assert (package / "locales" / "pl" / "LC_MESSAGES" / "workspace.mo").is_file()
    content = package / "knowledge" / "content"
    assert len(list((content / "paths").glob("*.yaml"))) >= 4  # the guided paths ship too
    assert (content / "safety" / "crisis.yaml").is_file()
    upgraded = _run(installed, "db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0 and "up to date" in upgraded.stdout, upgraded.stderr

    port = _free_port()
    web = subprocess.Popen(
        [str(installed / "bin" / "python"), "-m", "cli", "web"],
        env={**env, "WEB_PORT": str(port), "BOT_USERNAME": "witaj_test_bot"},
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        page = ""
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login?lang=pl") as response:
                    page = response.read().decode()
                    break
            except OSError:
                time.sleep(0.1)
        assert 'name="password"' in page and "Zaloguj" in page  # template and Polish catalogue
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/workspace.css") as css:
            assert css.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as health:
            assert health.status == 200  # what the image's HEALTHCHECK asks
    finally:
        web.terminate()
        web.wait(10)
