# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench bench-quick install clean validate docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

CG  := $(VENV)/bin/calcgraph
OUT := demo-output

# The main job end to end on a bundled example case: build and check the ontology, reason, classify and diagnose a
# case, answer a competency question, and draw and export the graph.
demo: $(STAMP)
	$(CG) build
	$(CG) qc
	$(CG) stats
	$(CG) reason --timing
	$(CG) classify examples/cases/reason-pseudogout-and-septic.yaml
	$(CG) diagnose examples/septic-arthritis-with-cpp-crystals.yaml --top 5
	$(CG) criteria examples/pseudogout.yaml
	$(CG) query queries/distinguishing-findings.rq --param x=pseudogout --param y="septic arthritis"
	mkdir -p $(OUT)
	$(CG) draw --case examples/septic-arthritis-with-cpp-crystals.yaml --out $(OUT)/case.png
	$(CG) draw --focus pseudogout --out $(OUT)/pseudogout.png
	$(CG) export --format html --out $(OUT)/calcgraph.html
	$(CG) export --format graphml --out $(OUT)/calcgraph.graphml
	# real inputs: a phenopacket-store phenopacket (HPO terms, unused ones listed), a bundled query by name, and the
	# ranking written back as a phenopacket v2 with interpretations
	$(CG) diagnose tests/data/phenopacket-store/ANKH__PMID_22647861_41_year_old_woman.json --top 3 --next-tests 0
	$(CG) query differentials --param disease=pseudogout
	$(CG) diagnose examples/pseudogout.phenopacket.json --format phenopacket > $(OUT)/pseudogout.interpreted.json
	@echo "pictures and exports are in $(OUT)/"

test: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy src/calcgraph
	$(PY) -m pytest

# Benchmarks: every target beside its floor, measured in the same run (about 10 minutes on 2 cores; `make bench-quick`
# is a 2-minute smoke run). See benchmarks/run_all.py.
bench: $(STAMP)
	$(PY) benchmarks/run_all.py

bench-quick: $(STAMP)
	$(PY) benchmarks/run_all.py --quick

# Published-case validation (validation/*.yaml): top-1/top-3 per disease, calibration, the misses and their reasons;
# writes the reliability plot (matplotlib, in the test extra), docs/validation.md and the README's summary (between
# its `<!-- validate:start` and `<!-- validate:end -->` lines) from the same run.
validate: $(STAMP)
	$(PY) -m calcgraph.validate validation --plot docs/pictures/reliability.png --markdown docs/validation.md \
		--readme README.md

# The generated blocks of the docs: the figure tables of docs/diagnosis.md (between `<!-- relations-table:start NAME -->`
# and `<!-- relations-table:end NAME -->`) and their counts, from ontology/templates/relations-*.tsv. Rerun after
# editing a relation table; tests/test_doctables.py fails while they differ. See src/calcgraph/doctables.py.
docs: $(STAMP)
	$(PY) -m calcgraph.doctables

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy src/calcgraph

clean:
	rm -rf $(VENV) .pytest_cache build dist src/*.egg-info $(OUT)
