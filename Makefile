# `sam build` calls `make build-<LogicalId>` once per function (BuildMethod: makefile, built in
# the source tree: samconfig.toml sets build_in_source). The first call builds every function
# for arm64 in one cargo call, both cores linking side by side; the calls after it find them
# built. Each call then copies its function's binary where SAM packages it.
#
# Logical ids are PascalCase(<directory under functions/>) + "Function" (template.yaml).

FUNCTIONS := $(notdir $(wildcard functions/*))
kebab = $(shell echo '$(1)' | sed -E 's/([a-z0-9])([A-Z])/\1-\2/g' | tr 'A-Z' 'a-z')

.PHONY: arm64
arm64:
	cargo lambda build --release --arm64 --locked $(addprefix -p ,$(FUNCTIONS))

build-%Function: arm64
	cp target/lambda/$(call kebab,$*)/bootstrap $(ARTIFACTS_DIR)/bootstrap
