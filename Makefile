# perfbot: `make demo` and `make test` work on a fresh clone; each sets up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install browser demo try test drill lint run db-upgrade bench bench-scale lock clean

# Dependencies come from requirements.lock (exact versions, hashed): a fresh machine gets
# exactly what the tests passed with. `make lock` re-resolves it from pyproject.toml.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "perfbot needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/perfbot demo

# The real bot on the offline sandbox with a small bureau, played by hand in a browser page.
try: $(STAMP)
	$(BIN)/perfbot try

# The browser tests drive Debian's chromium; install it when missing and we may (root, apt).
# Without it those tests are skipped with a message and the rest of the suite still runs.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& (DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
		|| (apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1)) \
		|| echo "chromium not installed: the browser tests will be skipped"; }
	@# A Chinese font, or the screenshots of the chat show boxes instead of characters.
	@! command -v fc-list >/dev/null 2>&1 || fc-list :lang=zh | grep -q . || { [ "$$(id -u)" = 0 ] \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1; } \
		|| echo "no Chinese font installed: browser screenshots will show boxes"

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/pytest

# The drills at full size (crash: 30 kill -9 on both databases; race: 100 presses; fuzz:
# 10,000 inputs; faults: 360 notices under 20 % injected 429/5xx). `make test` runs them small.
drill: $(STAMP)
	PERFBOT_DRILL=full $(BIN)/pytest -q -s -p no:cacheprovider \
		tests/e2e/test_drills.py tests/test_drills_outbox.py \
		"tests/test_review.py::test_simultaneous_presses_give_exactly_one_transition" \
		| grep -E "drill|passed|failed|error"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

db-upgrade: $(STAMP)
	$(BIN)/perfbot db upgrade

run: $(STAMP) db-upgrade
	$(BIN)/perfbot run

# The quick set; bench-scale runs the province set (100,000 projects, several minutes).
bench: $(STAMP)
	$(BIN)/python -m bench

bench-scale: $(STAMP)
	$(BIN)/python -m bench --scale

lock: $(STAMP)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
		--python-version 3.11 --upgrade -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
