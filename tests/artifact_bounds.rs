//! Forged artifacts, one claim at a time: each test trains a genuine pipeline through the
//! public API, changes one number, index or list in its artifact (as someone editing the
//! `models.artifact` blob would, md5 updated), and checks that `Pipeline::from_artifact`
//! refuses it with a message naming the field and what is wrong, never a panic. Then the same
//! through a registry (the error names the model) and the CLI (`model info`, `predict`,
//! `verify` refuse it and leave the file unchanged).

mod common;

use common::{db_state, Tmp};
use mlops_lite::dataset::import::{Format, Input};
use mlops_lite::dataset::samples;
use mlops_lite::error::ErrorKind;
use mlops_lite::pipeline::estimator::EstimatorSpec;
use mlops_lite::pipeline::preprocess::{ImputeStrategy, StepSpec};
use mlops_lite::pipeline::{Pipeline, TrainSpec};
use mlops_lite::Registry;
use serde_json::{json, Value};

fn iris() -> Registry {
    let mut reg = Registry::open_in_memory().unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    reg
}

/// A genuine artifact of `estimator` predicting iris's `target` (a classifier) or its
/// sepal length (a regressor), as JSON.
fn genuine(estimator: Value) -> Value {
    let est = EstimatorSpec::from_json(&estimator).unwrap();
    let spec = match est.task() {
        mlops_lite::pipeline::estimator::Task::Classification => TrainSpec::new("target"),
        mlops_lite::pipeline::estimator::Task::Regression => TrainSpec::new("sepal length (cm)")
            .features(["sepal width (cm)", "petal length (cm)", "petal width (cm)"]),
    };
    let p = iris().train_model("iris", &spec.estimator(est)).unwrap();
    serde_json::from_slice(&p.to_artifact()).unwrap()
}

/// A genuine artifact with string features: `num` (imputer, min-max scaler), `cat` (string
/// imputer, one-hot), `ord` (ordinal), on an integer target with classes 1, 2, 10.
fn mixed() -> Value {
    let mut reg = Registry::open_in_memory().unwrap();
    let csv = "n,c,o,y\n1,a,x,1\n2,b,y,2\n3,a,x,10\n,b,y,1\n5,,x,2\n6,c,y,10\n7,a,x,1\n8,b,y,2\n";
    reg.bind_dataset_from(
        Input::Bytes {
            bytes: csv.as_bytes(),
            label: "m.csv",
        },
        Format::Csv,
        "m",
        "",
        &mut |_, _| {},
    )
    .unwrap();
    let imputer = |strategy| StepSpec::SimpleImputer {
        strategy,
        fill_value: None,
    };
    let spec = TrainSpec::new("y")
        .test_size(0.0)
        .transformer(
            "num",
            &["n"],
            vec![imputer(ImputeStrategy::Mean), StepSpec::MinMaxScaler {}],
        )
        .transformer(
            "cat",
            &["c"],
            vec![
                imputer(ImputeStrategy::MostFrequent),
                StepSpec::OneHotEncoder {},
            ],
        )
        .transformer("ord", &["o"], vec![StepSpec::OrdinalEncoder {}]);
    let p = reg.train_model("m", &spec).unwrap();
    serde_json::from_slice(&p.to_artifact()).unwrap()
}

fn load(v: &Value) -> Result<Pipeline, String> {
    Pipeline::from_artifact(&serde_json::to_vec(v).unwrap()).map_err(|e| e.to_string())
}

/// The artifact `base` changed by `forge` is refused, and the message has every needle.
#[track_caller]
fn refused(base: &Value, forge: impl FnOnce(&mut Value), needles: &[&str]) {
    assert!(load(base).is_ok(), "the genuine artifact loads");
    let mut v = base.clone();
    forge(&mut v);
    let e = match load(&v) {
        Ok(_) => panic!("a forged artifact was accepted (expected {needles:?})"),
        Err(e) => e,
    };
    for n in needles {
        assert!(e.contains(n), "expected {n:?} in: {e}");
    }
}

fn est<'v>(v: &'v mut Value, name: &str) -> &'v mut Value {
    &mut v["estimator"][name]
}

const INCONSISTENT: &str = "the artifact is inconsistent: ";

#[test]
fn signature_claims_are_checked() {
    let lr = genuine(json!({"estimator": "logistic_regression"}));
    refused(
        &lr,
        |v| v["signature"] = json!([]),
        &[INCONSISTENT, "signature: no input features"],
    );
    refused(
        &lr,
        |v| {
            let f = v["signature"][0].clone();
            let many: Vec<Value> = (0..2000)
                .map(|i| json!({"name": format!("f{i}"), "dtype": f["dtype"]}))
                .collect();
            v["signature"] = json!(many);
        },
        &["signature: 2000 input features, more than the 1900"],
    );
    refused(
        &lr,
        |v| v["signature"][2]["name"] = json!("SEPAL LENGTH (cm)"),
        &["signature: feature \"SEPAL LENGTH (cm)\" is listed twice"],
    );
    refused(
        &lr,
        |v| v["signature"][1]["name"] = json!(""),
        &["signature[1]: the feature name is empty"],
    );
    refused(
        &lr,
        |v| v["signature"][3]["dtype"] = json!("Int32"),
        &["signature[3] (\"petal width (cm)\"): dtype \"Int32\" is not one of"],
    );
    refused(
        &lr,
        |v| v["target_dtype"] = json!("Float16"),
        &["target_dtype \"Float16\""],
    );
    refused(
        &lr,
        |v| v["target"] = json!("sepal width (cm)"),
        &["target \"sepal width (cm)\" is also an input feature"],
    );
}

#[test]
fn class_lists_are_checked() {
    let lr = genuine(json!({"estimator": "logistic_regression"}));
    refused(
        &lr,
        |v| v["classes"][2] = json!("setosa"),
        &[INCONSISTENT, "classes: class \"setosa\" is listed twice"],
    );
    refused(
        &lr,
        |v| v["classes"].as_array_mut().unwrap().truncate(2),
        &["classes: 2 class labels but the estimator gives 3 outputs"],
    );
    refused(
        &lr,
        |v| v["classes"] = json!(["virginica", "setosa", "versicolor"]),
        &["classes[1]: \"setosa\" is out of order"],
    );
    refused(
        &lr,
        |v| v["target_dtype"] = json!("Float64"),
        &["a classifier with a Float64 target"],
    );
    let m = mixed();
    assert_eq!(m["classes"], json!(["1", "2", "10"]), "sorted as integers");
    refused(
        &m,
        |v| v["classes"][1] = json!("2.5"),
        &["classes[1]: \"2.5\" is not an integer label of an Int64 target"],
    );
    refused(
        &m,
        |v| v["classes"] = json!(["1", "10", "2"]),
        &["classes[2]: \"2\" is out of order"],
    );
    refused(
        &m,
        |v| v["classes"][2] = json!("1"),
        &["classes: class \"1\" is listed twice"],
    );
    let ridge = genuine(json!({"estimator": "ridge"}));
    refused(
        &ridge,
        |v| v["classes"] = json!(["a", "b"]),
        &["classes: a regressor with 2 class labels"],
    );
    refused(
        &ridge,
        |v| v["target_dtype"] = json!("string"),
        &["a regressor with a string target"],
    );
}

#[test]
fn estimator_class_and_type_must_be_what_was_fitted() {
    let knn = genuine(json!({"estimator": "knn_classifier"}));
    refused(
        &knn,
        |v| v["estimator_class"] = json!("RandomForestClassifier"),
        &["estimator_class is \"RandomForestClassifier\" but the fitted estimator is a KNeighborsClassifier"],
    );
    refused(
        &knn,
        |v| v["estimator_type"] = json!("regressor"),
        &["estimator_type is \"regressor\" but the fitted KNeighborsClassifier is a classifier"],
    );
}

#[test]
fn transformer_claims_are_checked() {
    let m = mixed();
    // Indices, routing, kinds.
    refused(
        &m,
        |v| v["transformers"][0]["columns"][0] = json!(99),
        &[
            INCONSISTENT,
            "transformers[0]: group \"num\": column index 99 is not below the 3 input features",
        ],
    );
    refused(
        &m,
        |v| v["transformers"][0]["columns"] = json!([]),
        &["group \"num\": it has no columns"],
    );
    refused(
        &m,
        |v| {
            let g = v["transformers"][2].clone();
            v["transformers"].as_array_mut().unwrap().push(g);
        },
        &["transformers[3] (\"ord\"): feature \"o\" is routed twice"],
    );
    refused(
        &m,
        |v| {
            v["transformers"].as_array_mut().unwrap().remove(2);
        },
        &["transformers: feature \"o\" is in no transformer group"],
    );
    refused(
        &m,
        |v| v["transformers"][1]["columns"][0] = json!(0),
        &["transformers[1] (\"cat\"): feature \"n\" of dtype Int64 is routed to a group of string inputs"],
    );
    refused(
        &m,
        |v| {
            let steps = v["transformers"][0]["steps"].as_array_mut().unwrap();
            steps.swap(0, 1);
            steps.insert(0, json!({"step": "ordinal_encoder", "categories": [["a"]]}));
        },
        &["group \"num\": steps[0] (ordinal_encoder) takes strings but is given numbers"],
    );
    // Statistics vectors: lengths and values.
    refused(
        &m,
        |v| v["transformers"][0]["steps"][0]["fill"] = json!([1.0, 2.0]),
        &["group \"num\": steps[0] (simple_imputer) is fitted for 2 columns but is given 1"],
    );
    refused(
        &m,
        |v| v["transformers"][0]["steps"][1]["scale"] = json!([0.0]),
        &["group \"num\": steps[1]: min_max_scaler scale[0] is 0 (must be non-zero)"],
    );
    refused(
        &m,
        |v| v["transformers"][0]["steps"][1]["min"] = json!([1.0, 2.0]),
        &["min_max_scaler has 2 min values but 1 scale values"],
    );
    refused(
        &m,
        |v| v["transformers"][1]["steps"][0]["fill"] = json!(["a", "b"]),
        &["group \"cat\": steps[0] (simple_imputer) is fitted for 2 columns but is given 1"],
    );
    // Categories: duplicates and order; the one-hot width is what the estimator takes.
    let cats = m["transformers"][1]["steps"][1]["categories"][0].clone();
    assert_eq!(cats, json!(["a", "b", "c"]));
    refused(
        &m,
        |v| v["transformers"][1]["steps"][1]["categories"][0] = json!(["a", "b", "b"]),
        &["group \"cat\": steps[1]: one_hot_encoder categories[0]: category \"b\" is listed twice"],
    );
    refused(
        &m,
        |v| v["transformers"][2]["steps"][0]["categories"][0] = json!(["y", "x"]),
        &["group \"ord\": steps[0]: ordinal_encoder categories[0]: category \"x\" is out of order"],
    );
    refused(
        &m,
        |v| v["transformers"][1]["steps"][1]["categories"][0] = json!(["a", "b", "c", "d"]),
        &["the transformers give 6 columns but the estimator (LogisticRegression) takes 5"],
    );
}

#[test]
fn linear_model_shapes_are_checked() {
    let lr = genuine(json!({"estimator": "logistic_regression"}));
    refused(
        &lr,
        |v| est(v, "logistic_regression")["coef"].as_array_mut().unwrap().pop().map(drop).unwrap(),
        &[INCONSISTENT, "estimator: the fitted LogisticRegression model is invalid: 11 coefficients for 3 x 4 expected"],
    );
    // A huge feature count is compared, never allocated.
    refused(
        &lr,
        |v| est(v, "logistic_regression")["n_features"] = json!(u64::MAX),
        &["coefficients for 3 x 18446744073709551615 expected"],
    );
    refused(
        &lr,
        |v| est(v, "logistic_regression")["n_classes"] = json!(2),
        &["12 coefficients for 1 x 4 expected"],
    );
    refused(
        &lr,
        |v| est(v, "logistic_regression")["intercept"] = json!([0.0]),
        &["1 intercepts for 3 expected"],
    );
    let ridge = genuine(json!({"estimator": "ridge"}));
    refused(
        &ridge,
        |v| {
            est(v, "ridge")["coef"]
                .as_array_mut()
                .unwrap()
                .pop()
                .map(drop)
                .unwrap()
        },
        &["the transformers give 3 columns but the estimator (Ridge) takes 2"],
    );
    refused(
        &ridge,
        |v| est(v, "ridge")["coef"] = json!([]),
        &["the fitted Ridge model is invalid: no coefficients"],
    );
}

#[test]
fn tree_claims_are_checked() {
    let dt = genuine(json!({"estimator": "decision_tree_classifier"}));
    fn t(v: &mut Value) -> &mut Value {
        &mut v["estimator"]["decision_tree_classifier"]["trees"][0]
    }
    let left = dt["estimator"]["decision_tree_classifier"]["trees"][0]["left"].clone();
    let n = left.as_array().unwrap().len();
    let inner = left
        .as_array()
        .unwrap()
        .iter()
        .rposition(|l| l != 0)
        .unwrap();
    let leaf = left
        .as_array()
        .unwrap()
        .iter()
        .position(|l| l == 0)
        .unwrap();
    // Child index out of range, pointing back (a cycle), or at itself.
    refused(
        &dt,
        |v| t(v)["left"][inner] = json!(n),
        &[
            INCONSISTENT,
            &format!("tree 0: node {inner} has children {n} and"),
        ],
    );
    refused(
        &dt,
        |v| t(v)["right"][inner] = json!(0),
        &[&format!("node {inner} has children")],
    );
    refused(
        &dt,
        |v| t(v)["left"][inner] = json!(inner),
        &[&format!("(must be in {}..{n})", inner + 1)],
    );
    refused(
        &dt,
        |v| t(v)["feature"][0] = json!(4),
        &["node 0 splits on feature 4 of 4"],
    );
    refused(
        &dt,
        |v| {
            t(v)["threshold"].as_array_mut().unwrap().pop();
        },
        &["node arrays of different lengths"],
    );
    // Node count bounded by what is stored: a value array too short or too long.
    refused(
        &dt,
        |v| {
            t(v)["value"].as_array_mut().unwrap().pop();
        },
        &[&format!("values for {n} nodes x 3")],
    );
    refused(
        &dt,
        |v| t(v)["value"][leaf * 3] = json!(1.5),
        &[&format!("leaf {leaf} has a class fraction outside [0, 1]")],
    );
    refused(
        &dt,
        |v| {
            let trees = est(v, "decision_tree_classifier")["trees"]
                .as_array_mut()
                .unwrap();
            trees.push(trees[0].clone());
        },
        &["DecisionTreeClassifier model is invalid: 2 trees"],
    );
    refused(
        &dt,
        |v| est(v, "decision_tree_classifier")["n_classes"] = json!(1),
        &["1 classes (need at least 2)"],
    );

    // Forests: the tree count is what the spec asked for.
    let rf = genuine(json!({"estimator": "random_forest_regressor", "n_trees": 3}));
    refused(
        &rf,
        |v| {
            est(v, "random_forest_regressor")["trees"]
                .as_array_mut()
                .unwrap()
                .pop();
        },
        &["spec.estimator has n_trees = 3 but the fitted forest has 2 trees"],
    );
    refused(
        &rf,
        |v| est(v, "random_forest_regressor")["trees"] = json!([]),
        &["RandomForestRegressor model is invalid: 0 trees"],
    );
    refused(
        &rf,
        |v| est(v, "random_forest_regressor")["n_classes"] = json!(3),
        &["a regressor with 3 classes"],
    );
}

#[test]
fn knn_claims_are_checked() {
    let knn = genuine(json!({"estimator": "knn_classifier"}));
    let n = knn["estimator"]["knn_classifier"]["targets"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(n, 112);
    refused(
        &knn,
        |v| est(v, "knn_classifier")["k"] = json!(0),
        &[
            INCONSISTENT,
            "KNeighborsClassifier model is invalid: k = 0 with 112 points",
        ],
    );
    refused(
        &knn,
        |v| est(v, "knn_classifier")["k"] = json!(113),
        &["k = 113 with 112 points"],
    );
    refused(
        &knn,
        |v| est(v, "knn_classifier")["k"] = json!(u64::MAX),
        &["k = 18446744073709551615 with 112 points"],
    );
    // Stored points' width is the feature count; the feature count is the pipeline's width.
    refused(
        &knn,
        |v| est(v, "knn_classifier")["n_features"] = json!(5),
        &["448 point values for 112 points of 5 features"],
    );
    refused(
        &knn,
        |v| est(v, "knn_classifier")["n_features"] = json!(u64::MAX / 2),
        &["448 point values for 112 points of 9223372036854775807 features"],
    );
    refused(
        &knn,
        |v| {
            est(v, "knn_classifier")["points"]
                .as_array_mut()
                .unwrap()
                .pop();
        },
        &["447 point values for 112 points of 4 features"],
    );
    refused(
        &knn,
        |v| {
            // Consistent in itself (112 points of 2 values), but not with the pipeline.
            let e = est(v, "knn_classifier");
            e["n_features"] = json!(2);
            e["points"].as_array_mut().unwrap().truncate(224);
        },
        &["the transformers give 4 columns but the estimator (KNeighborsClassifier) takes 2"],
    );
    refused(
        &knn,
        |v| est(v, "knn_classifier")["targets"][7] = json!(3.0),
        &["target 3 is not a class index"],
    );
    refused(
        &knn,
        |v| est(v, "knn_classifier")["n_classes"] = json!(4),
        &["classes: 3 class labels but the estimator gives 4 outputs"],
    );
    // The fitted k and weights are what the spec says.
    refused(
        &knn,
        |v| est(v, "knn_classifier")["k"] = json!(3),
        &["spec.estimator has k = 5 (Uniform) but the fitted model has k = 3 (Uniform)"],
    );
    let reg = genuine(json!({"estimator": "knn_regressor"}));
    refused(
        &reg,
        |v| est(v, "knn_regressor")["n_classes"] = json!(2),
        &["KNeighborsRegressor model is invalid: a regressor with 2 classes"],
    );
}

#[test]
fn naive_bayes_claims_are_checked() {
    let nb = genuine(json!({"estimator": "gaussian_nb"}));
    refused(
        &nb,
        |v| est(v, "gaussian_nb")["variances"][5] = json!(0.0),
        &[
            INCONSISTENT,
            "GaussianNB model is invalid: variance 0 (must be finite and > 0)",
        ],
    );
    refused(
        &nb,
        |v| {
            est(v, "gaussian_nb")["means"]
                .as_array_mut()
                .unwrap()
                .push(json!(1.0))
        },
        &["13 means and 12 variances for 3 classes x 4 features"],
    );
    refused(
        &nb,
        |v| {
            est(v, "gaussian_nb")["priors"]
                .as_array_mut()
                .unwrap()
                .pop();
        },
        &["12 means and 12 variances for 2 classes x 4 features"],
    );
    refused(
        &nb,
        |v| est(v, "gaussian_nb")["priors"][0] = json!(-0.5),
        &["prior -0.5 (must be finite and > 0)"],
    );
}

#[test]
fn the_spec_must_describe_what_was_fitted() {
    let m = mixed();
    for field in ["features", "transformers", "estimator"] {
        refused(
            &m,
            |v| {
                v["spec"].as_object_mut().unwrap().remove(field);
            },
            &[&format!(
                "spec.{field} is missing (an artifact holds the resolved spec)"
            )],
        );
    }
    refused(
        &m,
        |v| v["spec"]["target"] = json!("n"),
        &[INCONSISTENT, "spec.target \"n\" is not the target \"y\""],
    );
    refused(
        &m,
        |v| v["spec"]["features"] = json!(["c", "n", "o"]),
        &["spec.features is not the signature's feature list"],
    );
    refused(
        &m,
        |v| v["spec"]["estimator"] = json!({"estimator": "gaussian_nb"}),
        &["spec.estimator is GaussianNB but the fitted estimator is a LogisticRegression"],
    );
    refused(
        &m,
        |v| v["spec"]["transformers"][0]["columns"] = json!(["o"]),
        &["spec.transformers[0] (\"num\") is not the fitted group \"num\""],
    );
    refused(
        &m,
        |v| v["spec"]["transformers"][0]["steps"][1] = json!({"step": "standard_scaler"}),
        &["spec.transformers[0].steps[1] is standard_scaler but the fitted step is min_max_scaler"],
    );
    refused(
        &m,
        |v| {
            v["spec"]["transformers"].as_array_mut().unwrap().pop();
        },
        &["spec.transformers has 2 groups but 3 were fitted"],
    );
}

#[test]
fn metrics_are_of_the_task_and_in_range() {
    let lr = genuine(json!({"estimator": "logistic_regression"}));
    refused(
        &lr,
        |v| v["metrics"]["accuracy"] = json!(1.5),
        &[INCONSISTENT, "metrics.accuracy is 1.5 (must be in [0, 1])"],
    );
    refused(
        &lr,
        |v| v["metrics"]["log_loss"] = json!(-0.1),
        &["metrics.log_loss is -0.1 (must be at least 0)"],
    );
    refused(
        &lr,
        |v| v["metrics"]["rmse"] = json!(0.5),
        &["metrics.rmse is given for a classifier"],
    );
    refused(
        &lr,
        |v| {
            v["metrics"].as_object_mut().unwrap().remove("macro_f1");
        },
        &["metrics.macro_f1 is missing (38 rows were held out)"],
    );
    refused(
        &lr,
        |v| v["metrics"]["n_test"] = json!(0),
        &["metrics.accuracy is given but no rows were held out"],
    );
    refused(
        &lr,
        |v| v["metrics"]["n_train"] = json!(0),
        &["metrics.n_train is 0"],
    );
    let ridge = genuine(json!({"estimator": "ridge"}));
    refused(
        &ridge,
        |v| v["metrics"]["r2"] = json!(1.25),
        &["metrics.r2 is 1.25 (must be at most 1)"],
    );
    let knn = genuine(json!({"estimator": "knn_regressor"}));
    refused(
        &knn,
        |v| v["metrics"]["n_train"] = json!(1000),
        &["metrics.n_train is 1000 but the k-NN model stores 112 training points"],
    );
}

/// Through a registry: a forged artifact whose md5 was updated to match is refused when it
/// is loaded, and the error names the model and the field.
#[test]
fn a_forged_artifact_in_a_registry_is_refused_naming_the_model() {
    let mut reg = iris();
    let spec =
        TrainSpec::new("target").estimator(EstimatorSpec::default_for("knn_classifier").unwrap());
    let p = reg.train_model("iris", &spec).unwrap();
    reg.bind_model(&p, "iris-knn", "").unwrap();
    let mut v: Value = serde_json::from_slice(&p.to_artifact()).unwrap();
    v["estimator"]["knn_classifier"]["k"] = json!(1_000_000);
    let forged = serde_json::to_vec(&v).unwrap();
    let md5 = mlops_lite::registry::md5_hex(&forged);
    reg.connection()
        .unwrap()
        .execute(
            "UPDATE models SET artifact = ?1, artifact_md5 = ?2",
            rusqlite::params![forged, md5],
        )
        .unwrap();
    let mut fresh = Registry::from_bytes(&reg.to_bytes().unwrap()).unwrap();
    let want = "model iris-knn@1 (id 1): the artifact is inconsistent: estimator: the fitted \
                KNeighborsClassifier model is invalid: k = 1000000 with 112 points";
    let e = fresh.pull_model("iris-knn").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    assert!(e.to_string().contains(want), "{e}");
    let e = fresh.model_info("iris-knn").unwrap_err();
    assert!(e.to_string().contains(want), "{e}");
    let records = br#"[{"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}]"#;
    let e = fresh.predict("iris-knn", records, true).unwrap_err();
    assert!(e.to_string().contains(want), "{e}");
    assert!(fresh.log(&Default::default()).unwrap().is_empty());
    let report = fresh.verify(0.0).unwrap();
    let shown = format!("{report:?}");
    assert!(shown.contains("k = 1000000 with 112 points"), "{shown}");
    assert_eq!(report.models_ok, 0, "{shown}");
}

/// The CLI: `model info`, `predict` and `verify` refuse a forged artifact (md5 updated)
/// with one error line naming the model and the field, and leave the file unchanged.
#[test]
fn cli_refuses_a_forged_artifact_and_leaves_the_file_unchanged() {
    let t = Tmp::with_iris();
    t.ok(&[
        "model",
        "train",
        "--dataset",
        "iris",
        "--target",
        "target",
        "--name",
        "iris-knn",
        "--estimator",
        "knn_classifier",
    ]);
    {
        let c = rusqlite::Connection::open(&t.db).unwrap();
        let artifact: Vec<u8> = c
            .query_row("SELECT artifact FROM models", [], |r| r.get(0))
            .unwrap();
        let mut v: Value = serde_json::from_slice(&artifact).unwrap();
        v["classes"][2] = json!("setosa");
        let forged = serde_json::to_vec(&v).unwrap();
        let md5 = mlops_lite::registry::md5_hex(&forged);
        c.execute(
            "UPDATE models SET artifact = ?1, artifact_md5 = ?2",
            rusqlite::params![forged, md5],
        )
        .unwrap();
    }
    let before = db_state(&t.db);
    let want = "model iris-knn@1 (id 1): the artifact is inconsistent: classes: class \
                \"setosa\" is listed twice";
    let e = t.fails(&["model", "info", "iris-knn"]);
    assert!(e.contains(want), "{e}");
    let f = t.write(
        "r.json",
        r#"[{"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}]"#,
    );
    let e = t.fails(&["predict", "--model", "iris-knn", &f, "--log"]);
    assert!(e.contains(want), "{e}");
    let run = t.run(&["verify"]);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert_ne!(run.code, Some(0), "verify must fail: {all}");
    assert!(!all.contains("panicked"), "{all}");
    assert!(all.contains("is listed twice"), "{all}");
    assert_eq!(
        db_state(&t.db),
        before,
        "refused commands leave the file unchanged"
    );
}

/// Spec objects (estimator, steps) are read as a few scalar fields, never buffered whole:
/// the same rules for a spec file and for the spec inside an artifact, and the message
/// names the field.
#[test]
fn spec_objects_are_small_and_their_errors_name_the_field() {
    let parse = |text: &str| TrainSpec::from_json(text).map_err(|e| e.to_string());
    // The tag may come anywhere in a spec someone wrote.
    let ok =
        parse(r#"{"target": "t", "estimator": {"alpha": 0.5, "estimator": "ridge"}}"#).unwrap();
    assert_eq!(ok.estimator, Some(EstimatorSpec::Ridge { alpha: 0.5 }));
    for (text, needles) in [
        (
            r#"{"target": "t", "estimator": {"estimator": "ridge", "alpha": [1, 2]}}"#,
            &["invalid training spec at estimator", "field `alpha`"][..],
        ),
        (
            r#"{"target": "t", "estimator": {"estimator": "ridge", "alpha": 1, "alpha": 2}}"#,
            &["duplicate field `alpha`"],
        ),
        (
            r#"{"target": "t", "estimator": {"estimator": "ridge", "alpah": 1}}"#,
            &["unknown field `alpah`, expected `alpha`"],
        ),
        (
            r#"{"target": "t", "transformers": [{"name": "n", "columns": ["a"], "steps":
                [{"step": "simple_imputer", "strategy": "constant", "fill_value": {"x": 1}}]}]}"#,
            &["transformers[0].steps", "field `fill_value`"],
        ),
    ] {
        let e = parse(text).unwrap_err();
        for n in needles {
            assert!(e.contains(n), "expected {n:?} in: {e}");
        }
    }
    let many: String = (0..17).map(|i| format!(r#""f{i}": 0, "#)).collect();
    let e = parse(&format!(
        r#"{{"target": "t", "estimator": {{{many}"estimator": "ridge"}}}}"#
    ))
    .unwrap_err();
    assert!(e.contains("more than 16 fields"), "{e}");

    // In an artifact: the same for its spec, and fitted steps start with their tag.
    let m = mixed();
    refused(
        &m,
        |v| v["spec"]["estimator"]["alpha"] = json!(vec![0; 1000]),
        &["the artifact is not readable", "field `alpha`"],
    );
    refused(
        &m,
        |v| {
            let step = v["transformers"][0]["steps"][1].as_object_mut().unwrap();
            let tag = step.shift_remove("step").unwrap();
            step.insert("step".into(), tag);
        },
        &["a fitted step must start with its \"step\" field"],
    );
    refused(
        &m,
        |v| v["transformers"][0]["steps"][1]["step"] = json!("robust_scaler"),
        &["unknown variant `robust_scaler`"],
    );
    refused(
        &m,
        |v| v["transformers"][0]["steps"][1]["extra"] = json!([1]),
        &["unknown field `extra`"],
    );
}

/// A row shorter than the signature is an error naming the first missing feature, not a
/// panic (`predict_row` is public: the wasm build and verify call it).
#[test]
fn a_short_row_is_an_error_not_a_panic() {
    use mlops_lite::pipeline::preprocess::{RowInput, Scratch};
    let p = load(&genuine(json!({"estimator": "knn_classifier"}))).unwrap();
    let numbers = [5.1, 3.5];
    let strings = [None; 4];
    let e = p
        .predict_row(
            &RowInput {
                numbers: &numbers,
                strings: &strings,
            },
            &mut Scratch::default(),
            &mut Vec::new(),
            &mut Vec::new(),
        )
        .unwrap_err();
    assert_eq!(e.feature, 2);
    assert!(
        e.message.contains("shorter than the signature"),
        "{}",
        e.message
    );
}
