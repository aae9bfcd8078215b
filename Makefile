# Every target is a one-line alias to scripts/: the same commands run locally and in CI.
.PHONY: install demo test lint bench
install: ; scripts/install
demo: ; scripts/demo
test: ; scripts/test
lint: ; scripts/lint
bench: ; scripts/bench
