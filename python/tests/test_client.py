"""The Python package against a real registry file (and PostgreSQL): the Python tool's
vocabulary, DataFrame dtypes in and out, the Python tool's prediction shape, and every bad
input named with the registry left as it was. Run by scripts/test.sh (scripts/test-python.sh)."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from mlops_lite import MlopsLite, MlopsLiteError

REPO = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("MLOPS_LITE_BIN", REPO / "target" / "debug" / "mlops-lite"))
FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


def iris_frame() -> pd.DataFrame:
    bunch = load_iris(as_frame=True)
    df = bunch.frame.copy()
    df["target"] = bunch.target_names[bunch.target].astype(object)
    return df


def cli(db: Path, *args: str) -> str:
    if not CLI.exists():
        raise RuntimeError(f"the CLI is missing at {CLI} (cargo build, or set MLOPS_LITE_BIN)")
    return subprocess.run(
        [str(CLI), "--db", str(db), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "registry.db"


@pytest.fixture
def client(db: Path) -> MlopsLite:
    return MlopsLite(db)


def snapshot(db: Path) -> bytes:
    """The registry file and its WAL: a committed write changes one of them."""
    wal = db.with_name(db.name + "-wal")
    return b"".join(p.read_bytes() if p.exists() else b"-" for p in (db, wal))


# ---- datasets ---------------------------------------------------------------------------


def test_bind_iris_from_a_dataframe_then_again_is_the_same_version(client: MlopsLite, db: Path) -> None:
    df = iris_frame()
    first = client.bind_dataset(df, "iris", "Iris plants")
    assert first["created"] is True
    assert first["dataset"]["version"] == 1
    assert (first["dataset"]["size_rows"], first["dataset"]["size_cols"]) == (150, 5)
    again = client.bind_dataset(df, "iris", "Iris plants")
    assert again["created"] is False
    assert again["dataset"]["md5"] == first["dataset"]["md5"]
    changed = df.copy()
    changed.loc[0, "sepal length (cm)"] = 9.9
    assert client.bind_dataset(changed, "iris")["dataset"]["version"] == 2
    listed = client.list_datasets()
    assert list(listed["name"]) == ["iris", "iris"]
    assert list(listed["version"]) == [1, 2]
    # The CLI reads what Python bound: the same md5, the same rows.
    cli_list = json.loads(cli(db, "--json", "dataset", "list"))
    assert [d["md5"] for d in cli_list] == list(listed["md5"])


def test_the_same_rows_from_csv_and_from_a_dataframe_have_the_same_md5(client: MlopsLite, tmp_path: Path) -> None:
    df = iris_frame()
    csv = tmp_path / "iris.csv"
    df.to_csv(csv, index=False)
    from_csv = client.bind_dataset(csv, "from-csv")["dataset"]["md5"]
    from_frame = client.bind_dataset(df, "from-frame")["dataset"]["md5"]
    assert from_csv == from_frame


def test_dtypes_round_trip_through_pull_dataset(client: MlopsLite) -> None:
    df = pd.DataFrame(
        {
            "i": np.array([1, -2, 3, 2**62], dtype=np.int64),
            "f": [0.5, np.nan, -1e300, 2.0],
            "b": [True, False, True, False],
            "s": ["a", None, "ünïcode", ""],
            "i_na": pd.array([1, None, 3, 4], dtype="Int64"),
            "b_na": pd.array([True, None, False, True], dtype="boolean"),
            "f32": np.array([1.5, 2.5, np.nan, 4.0], dtype=np.float32),
            "i32": np.array([1, 2, 3, 4], dtype=np.int32),
        }
    )
    client.bind_dataset(df, "types")
    back = client.pull_dataset("types")
    assert list(back.columns) == list(df.columns)
    assert back["i"].dtype == np.int64 and back["i"].tolist() == df["i"].tolist()
    assert back["f"].dtype == np.float64
    np.testing.assert_array_equal(back["f"].to_numpy(), df["f"].to_numpy())
    assert back["b"].dtype == bool and back["b"].tolist() == df["b"].tolist()
    assert [None if pd.isna(v) else v for v in back["s"]] == ["a", None, "ünïcode", ""]
    assert str(back["i_na"].dtype) == "Int64"
    assert back["i_na"].isna().tolist() == [False, True, False, False]
    assert back["i_na"].dropna().tolist() == [1, 3, 4]
    assert str(back["b_na"].dtype) == "boolean"
    assert back["b_na"].isna().tolist() == [False, True, False, False]
    # float32 is stored as float64, int32 as int64 (the values are the same).
    np.testing.assert_array_equal(back["f32"].to_numpy(), df["f32"].to_numpy(dtype=np.float64))
    assert back["i32"].dtype == np.int64 and back["i32"].tolist() == [1, 2, 3, 4]
    info = client.info("types").set_index("column_name")
    assert info.loc["i", "converted_dtype"] == "Int64"
    assert info.loc["s", "null_count"] == 1


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"when": pd.to_datetime(["2026-01-01"])}), r"column 'when' has dtype datetime64"),
        (pd.DataFrame({"c": pd.Categorical(["a"])}), r"column 'c' has dtype category"),
        (pd.DataFrame({"z": [1 + 2j]}), r"column 'z' has dtype complex128"),
        (pd.DataFrame({0: [1.0]}), r"column 0: column names must be strings"),
        (pd.DataFrame({"mixed": ["a", 1]}), r'column "mixed", row 1: a int \(1\) in a text column'),
        (pd.DataFrame({"inf": [1.0, np.inf]}), r'column "inf".*infinite'),
        (pd.DataFrame({"big": np.array([2**63], dtype=np.uint64)}), r"column 'big': unsigned integers above"),
        (pd.DataFrame({"a": [1], "A": [2]}), r"(?i)column names|once|unique|same"),
        (pd.DataFrame({"a": []}, dtype=float), r"no data rows"),
    ],
)
def test_a_dataframe_the_core_cannot_store_is_refused_naming_the_column(
    client: MlopsLite, db: Path, frame: pd.DataFrame, message: str
) -> None:
    client.bind_dataset(iris_frame(), "iris")
    before = snapshot(db)
    with pytest.raises(MlopsLiteError, match=message) as err:
        client.bind_dataset(frame, "bad")
    assert err.value.kind == "input"
    assert snapshot(db) == before
    assert list(client.list_datasets()["name"]) == ["iris"]


def test_duplicate_column_labels_are_refused(client: MlopsLite) -> None:
    frame = pd.DataFrame([[1.0, 2.0]], columns=["a", "a"])
    with pytest.raises(MlopsLiteError, match="column 'a' appears more than once") as err:
        client.bind_dataset(frame, "dup")
    assert err.value.kind == "input"


def test_bind_from_records_and_from_a_file(client: MlopsLite, tmp_path: Path) -> None:
    records = [{"x": 1, "y": "a"}, {"x": 2, "y": None}]
    bound = client.bind_dataset(records, "recs")
    assert bound["dataset"]["size_rows"] == 2
    back = client.pull_dataset("recs")
    assert back["x"].tolist() == [1, 2]
    path = tmp_path / "recs.json"
    path.write_text(json.dumps(records))
    assert client.bind_dataset(path, "recs")["created"] is False  # same content, same version
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3\n")
    with pytest.raises(MlopsLiteError, match=r"bad\.csv.*line 3") as err:
        client.bind_dataset(bad, "bad")
    assert err.value.kind == "input"
    with pytest.raises(MlopsLiteError, match="bind_dataset takes a DataFrame") as err:
        client.bind_dataset(42, "x")  # type: ignore[arg-type]
    assert err.value.kind == "invalid_argument"


def test_bad_names_and_missing_references(client: MlopsLite) -> None:
    with pytest.raises(MlopsLiteError) as err:
        client.bind_dataset(iris_frame(), "")
    assert err.value.kind == "invalid_argument"
    with pytest.raises(MlopsLiteError, match="nosuch") as err:
        client.pull_dataset("nosuch")
    assert err.value.kind == "not_found"
    with pytest.raises(MlopsLiteError) as err:
        client.predict("nosuch", [{}])
    assert err.value.kind == "not_found"


def test_a_file_that_is_not_a_registry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(MlopsLiteError) as err:
        MlopsLite(path)
    assert err.value.kind == "not_a_registry"
    assert path.read_bytes() == b"not a database at all" * 100


# ---- models and predictions -------------------------------------------------------------


@pytest.fixture
def trained(client: MlopsLite) -> MlopsLite:
    client.bind_dataset(iris_frame(), "iris", "Iris plants")
    bound = client.train_model("iris", "iris-lr", target="target")
    assert bound["created"] is True
    return client


def test_predict_gives_the_python_tools_shape_and_the_clis_numbers(trained: MlopsLite, db: Path, tmp_path: Path) -> None:
    records = [
        {"reference_id": "r1", "sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2},
        {"sepal length (cm)": 6.3, "sepal width (cm)": 2.9, "petal length (cm)": 5.6, "petal width (cm)": None},
    ]
    out = trained.predict("iris-lr", records)
    assert [r["reference_id"] for r in out] == ["r1", None]
    assert list(out[0]["results"]) == ["setosa", "versicolor", "virginica"]
    assert out[0]["label"] == "setosa"
    assert abs(sum(out[1]["results"].values()) - 1) < 1e-12
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records))
    from_cli = json.loads(cli(db, "--json", "predict", "--model", "iris-lr", str(path)))
    assert [r["results"] for r in from_cli] == [r["results"] for r in out]  # bit for bit
    assert [r["label"] for r in from_cli] == [r["label"] for r in out]


def test_predict_from_a_dataframe_equals_predict_from_records(trained: MlopsLite) -> None:
    df = iris_frame().drop(columns=["target"])
    df.insert(0, "reference_id", [f"row-{i}" for i in range(len(df))])
    records = json.loads(df.to_json(orient="records"))
    from_frame = trained.predict("iris-lr", df)
    from_records = trained.predict("iris-lr", records)
    assert from_frame == from_records
    assert trained.predict("iris-lr", df.set_index("reference_id")) == from_records
    frame = trained.predict("iris-lr", df, output="frame")
    assert list(frame.columns) == ["reference_id", "label", "proba_setosa", "proba_versicolor", "proba_virginica"]
    assert frame["label"].tolist() == [r["label"] for r in from_records]
    assert frame["reference_id"].tolist() == df["reference_id"].tolist()
    np.testing.assert_array_equal(frame["proba_virginica"].to_numpy(), [r["results"]["virginica"] for r in from_records])


def test_logged_predictions_are_read_back_by_python_and_the_cli(trained: MlopsLite, db: Path) -> None:
    df = iris_frame().drop(columns=["target"]).head(3)
    df["reference_id"] = ["a", "b", "c"]
    trained.predict("iris-lr", df, log=True)
    log = trained.log(model="iris-lr")
    assert log["reference_id"].tolist() == ["a", "b", "c"]
    assert log["model_name"].tolist() == ["iris-lr"] * 3
    assert len(trained.log(reference_id="b")) == 1
    from_cli = json.loads(cli(db, "--json", "log", "list"))
    assert [r["reference_id"] for r in from_cli] == ["a", "b", "c"]
    report = trained.verify()
    assert report["problems"] == []


def test_a_bad_record_fails_the_batch_names_it_and_logs_nothing(trained: MlopsLite, db: Path) -> None:
    good = {f: 1.0 for f in FEATURES}
    before = snapshot(db)
    with pytest.raises(MlopsLiteError, match=r"records\[1\].*colour") as err:
        trained.predict("iris-lr", [good, {**good, "colour": "red"}], log=True)
    assert err.value.kind == "input"
    with pytest.raises(MlopsLiteError, match=r"petal width \(cm\)") as err:
        trained.predict("iris-lr", [good, {**good, "petal width (cm)": "wide"}], log=True)
    frame = pd.DataFrame([good, good])
    frame["sepal length (cm)"] = ["5.1", "x"]  # text for a number feature
    with pytest.raises(MlopsLiteError, match=r"sepal length \(cm\)") as err:
        trained.predict("iris-lr", frame, log=True)
    assert err.value.kind == "input"
    with pytest.raises(MlopsLiteError, match="output must be"):
        trained.predict("iris-lr", [good], output="nope")  # type: ignore[call-overload]
    assert trained.log().empty
    assert snapshot(db) == before


def test_a_regressor_answers_values(client: MlopsLite) -> None:
    client.bind_dataset(iris_frame(), "iris")
    client.train_model("iris", "petal", target="petal width (cm)", estimator="ridge", alpha=0.5)
    info = client.model_info("petal")
    assert info["spec"]["estimator"]["alpha"] == 0.5
    out = client.predict("petal", [{"sepal length (cm)": 5.0, "sepal width (cm)": 3.0, "petal length (cm)": 1.5}])
    assert isinstance(out[0]["results"], float) and "label" not in out[0]
    frame = client.predict("petal", pd.DataFrame({"sepal length (cm)": [5.0], "sepal width (cm)": [3.0], "petal length (cm)": [1.5], "target": [None]}), output="frame")
    assert list(frame.columns) == ["reference_id", "value"]
    assert frame["value"].tolist() == [out[0]["results"]]
    with pytest.raises(MlopsLiteError, match="nosuch") as err:
        client.train_model("iris", "x", target="target", estimator="nosuch")
    assert err.value.kind in ("invalid_argument", "input")
    assert list(client.list_models()["name"]) == ["petal"]


def test_reproduce_verify_and_copy(trained: MlopsLite, tmp_path: Path) -> None:
    r = trained.reproduce("iris-lr")
    assert r["identical"] is True and r["reproduced_md5"] == r["stored_md5"]
    trained.predict("iris-lr", [{f: 1.0 for f in FEATURES}], log=True)
    target = tmp_path / "copy.db"
    report = trained.copy(target, models=["iris-lr"], with_log=True)
    assert [m["name"] for m in report["models"]] == ["iris-lr"]
    copied = MlopsLite(target)
    assert copied.model_info("iris-lr")["model"]["artifact_md5"] == trained.model_info("iris-lr")["model"]["artifact_md5"]
    assert len(copied.log()) == 1
    with pytest.raises(MlopsLiteError, match="tolerance") as err:
        trained.verify(-1.0)
    assert err.value.kind == "invalid_argument"


def test_postgres_registry() -> None:
    base = os.environ.get("MLOPS_LITE_TEST_PG")
    if not base:
        pytest.fail("MLOPS_LITE_TEST_PG is not set: the PostgreSQL tests never skip (scripts/test.sh sets it)")
    schema = f"py_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = f"{base}{'&' if '?' in base else '?'}schema={schema}"
    try:
        client = MlopsLite(url)
        client.bind_dataset(iris_frame(), "iris")
        client.train_model("iris", "iris-lr", target="target")
        out = client.predict("iris-lr", iris_frame().drop(columns=["target"]).head(5), log=True)
        assert len(out) == 5 and len(client.log()) == 5
        pulled = client.pull_dataset("iris")
        pd.testing.assert_frame_equal(pulled, iris_frame(), check_dtype=False)
        legacy = REPO / "tests" / "data" / "legacy-python-a5c890b.db"  # opened read-only
        with pytest.raises(MlopsLiteError, match="import-legacy writes into a registry file") as err:
            client.import_legacy(legacy)
        assert err.value.kind == "invalid_argument"
    finally:
        subprocess.run(
            ["psql", base.split("?")[0], "-q", "-c", f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'],
            check=False,
            capture_output=True,
        )


# ---- the Python tool's files ------------------------------------------------------------


def test_import_legacy_brings_datasets_and_log_never_the_pickles(client: MlopsLite, tmp_path: Path) -> None:
    old = tmp_path / "python-tool.db"
    old.write_bytes((REPO / "tests" / "data" / "legacy-python-a5c890b.db").read_bytes())
    before = old.read_bytes()
    report = client.import_legacy(old)
    assert [d["name"] for d in client.list_datasets().to_dict("records")] == ["iris"]
    assert client.list_datasets()["md5"].tolist() == ["1691b6054247506429b07bc1fa364ee3"]
    legacy = client.list_legacy_models()
    assert legacy["name"].tolist() == ["testmodel"]
    assert client.list_models().empty  # a pickle is never a runnable model
    assert old.read_bytes() == before
    assert (report["calls_imported"], report["records_imported"]) == (1, 2)
    assert len(client.log()) == 0  # the Python log goes to legacy_prediction_* tables
    again = client.import_legacy(old)  # importing again writes nothing new
    assert (again["calls_imported"], again["calls_already_there"]) == (0, 1)
    assert again["before"] == again["after"]
    assert len(client.list_datasets()) == 1
    with pytest.raises(MlopsLiteError) as err:
        client.import_legacy(tmp_path / "missing.db")
    assert err.value.kind in ("not_found", "io", "not_a_registry")


def test_a_named_index_is_kept_as_columns_an_unnamed_one_is_left_out(client: MlopsLite) -> None:
    df = pd.DataFrame({"id": [10, 20, 30], "x": [1.5, 2.5, 3.5]}).set_index("id")
    client.bind_dataset(df, "indexed")
    assert client.pull_dataset("indexed").to_dict("list") == {"id": [10, 20, 30], "x": [1.5, 2.5, 3.5]}
    two = pd.DataFrame({"a": ["p", "q"], "b": [1, 2], "x": [0.5, 0.25]}).set_index(["a", "b"])
    client.bind_dataset(two, "two-levels")
    assert list(client.pull_dataset("two-levels").columns) == ["a", "b", "x"]
    # Row labels left by filtering are positions, not data: a model must not learn from them.
    filtered = pd.DataFrame({"x": [1.0, -2.0, 3.0, 4.0]}).query("x > 0")
    client.bind_dataset(filtered, "filtered")
    assert client.pull_dataset("filtered").to_dict("list") == {"x": [1.0, 3.0, 4.0]}


def test_import_legacy_unpickle_trusted_converts_the_pickles(client: MlopsLite, tmp_path: Path) -> None:
    """Item 4: with the explicit flag, the Python tool's pickled pipeline becomes a runnable
    model predicting what the unpickled pipeline predicts; a warning says code was run."""
    import pickle
    import sqlite3

    old = tmp_path / "python-tool.db"
    old.write_bytes((REPO / "tests" / "data" / "legacy-python-a5c890b.db").read_bytes())
    before = old.read_bytes()
    with pytest.warns(UserWarning, match="unpickle_trusted=True: the pickles of .* were unpickled"):
        report = client.import_legacy(old, unpickle_trusted=True)
    assert old.read_bytes() == before
    assert "runs code stored in that file" in report["warning"]
    [converted] = report["converted"]
    assert converted["created"] and converted["model"]["name"] == "testmodel", converted
    info = client.model_info("testmodel")
    assert info["fitted_by"]["library"] == "scikit-learn" and info["dataset"]["name"] == "iris"
    with sqlite3.connect(f"file:{old}?mode=ro&immutable=1", uri=True) as c:
        pipeline = pickle.loads(c.execute("SELECT deployable FROM deployable_registry").fetchone()[0])
    X = iris_frame()[FEATURES]
    want = pipeline.predict_proba(X)
    got = client.predict("testmodel", X, output="frame")[[f"proba_{c}" for c in pipeline.classes_]].to_numpy()
    assert np.abs(got - want).max() <= 1e-12
    assert client.list_legacy_models()["name"].tolist() == ["testmodel"]  # the pickle's record stays
    # Again: the same artifact, nothing new.
    with pytest.warns(UserWarning):
        again = client.import_legacy(old, unpickle_trusted=True)
    assert again["converted"][0]["created"] is False

    # A pickle that cannot be converted stays listed as not runnable, with the reason.
    from sklearn.svm import SVC

    other = tmp_path / "svc.db"
    other.write_bytes(before)
    with sqlite3.connect(other) as c:
        svc = SVC(probability=True).fit(X, iris_frame()["target"])
        c.execute("UPDATE deployable_registry SET deployable = ?", (pickle.dumps(svc),))
    fresh = MlopsLite(tmp_path / "fresh.db")
    with pytest.warns(UserWarning):
        report = fresh.import_legacy(other, unpickle_trusted=True)
    [converted] = report["converted"]
    assert "the estimator SVC is not supported" in converted["not_runnable"], converted
    assert fresh.list_models().empty and len(fresh.list_legacy_models()) == 1
