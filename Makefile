# The two commands a newcomer needs:  `make run`  and  `make test`  (see README.md).
# Every step is in bootstrap.py (standard library only), so `python bootstrap.py run|test` does the same on
# Windows and macOS without make; these targets only call it.
PYTHON ?= python3
PORT ?= 8501
BOOTSTRAP := $(PYTHON) bootstrap.py

.PHONY: run test install install-dev chromium model lint

run:
	$(BOOTSTRAP) run --port $(PORT)

test:
	$(BOOTSTRAP) test

install install-dev chromium model lint:
	$(BOOTSTRAP) $@
