# The two commands a newcomer needs: `make run` and `make test`.
# Both create and fill the virtualenv on first use (pinned by constraints.txt).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench eval lock clean messages audit

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@$(COMPILE)
	@touch $(STAMP)

# The project's own bytecode, written ahead: an editable install leaves it to the first import,
# which never writes it where PYTHONDONTWRITEBYTECODE is set (every start would compile ~150
# modules again: `witaj kb check` 1.8-2.0 s against 1.6 s). Up to date, it takes 0.1 s.
COMPILE = $(BIN)/python -m compileall -q -j 0 bot cli flows knowledge locales sandbox workspace

# With BOT_TOKEN (environment or .env) the bot runs on Telegram; without, the local sandbox.
run: $(STAMP)
	@$(COMPILE)
	@if [ -n "$$BOT_TOKEN" ] || grep -qs '^BOT_TOKEN=.\+' .env; then $(BIN)/witaj run; \
	else $(BIN)/witaj sandbox; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

eval: $(STAMP)
	$(BIN)/witaj eval ../shared/eval/questions.dev.jsonl

bench: $(STAMP)
	$(BIN)/python bench/search.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/bot.py
	$(BIN)/python bench/replicas.py

# Known vulnerabilities in the pinned dependencies (needs the PyPI/OSV advisory service, so it
# is not part of `make test`). pip-audit lives in its own virtualenv so that it does not pin
# or change ours; --strict fails when a package could not be checked rather than passing.
AUDIT := .venv-audit
audit:
	@test -x $(AUDIT)/bin/pip-audit || { $(PYTHON) -m venv $(AUDIT) && \
		$(AUDIT)/bin/pip install --quiet --disable-pip-version-check 'pip-audit>=2.7'; }
	$(AUDIT)/bin/pip-audit --requirement constraints.txt --no-deps --disable-pip --strict

# Re-pin every dependency after changing pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check \
		| grep -v '^-e ' > constraints.txt
	$(BIN)/python -m pip --version | awk '{print "pip==" $$2}' >> constraints.txt

clean:
	rm -rf $(VENV) $(AUDIT) var .mypy_cache .ruff_cache .pytest_cache

# Extract UI strings, merge them into every catalog (translators fill the new msgstr).
messages: $(STAMP)
	$(BIN)/pybabel extract -F locales/babel.cfg -k Tr --no-location --sort-output --omit-header \
		-o locales/messages.pot bot flows knowledge workspace/public
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching
	$(BIN)/pybabel extract -F locales/workspace.cfg -k _ -k ngettext:1,2 --no-location \
		--sort-output --omit-header --ignore-dirs public -o locales/workspace.pot \
		workspace bot/reminders.py
	for lang in pl uk; do $(BIN)/pybabel update -i locales/workspace.pot -D workspace -l $$lang \
		-d locales --no-fuzzy-matching; done
	$(BIN)/pybabel compile -d locales --statistics --use-fuzzy 2>&1 | tail -6; \
		find locales -name '*.mo' -delete
