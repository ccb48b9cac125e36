//! `GET /metrics`: Prometheus' text format, from the official client crate
//! (`prometheus-client`): requests by route, method and status, their latency, records
//! predicted and logged, and the size of each group commit.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// A request's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route's pattern (`/api/models/{ref}/predict`), `static` for files.
    pub route: String,
    /// GET, POST, ...
    pub method: String,
    /// The answer's status code.
    pub status: u16,
}

/// A route's label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    /// The route's pattern.
    pub route: String,
}

/// Every metric the server keeps.
pub struct Metrics {
    registry: Registry,
    /// Requests answered.
    pub requests: Family<RequestLabels, Counter>,
    /// Seconds from the request's head to its answer's head.
    pub latency: Family<RouteLabel, Histogram>,
    /// Records predicted (logged or not).
    pub predicted: Counter<u64, AtomicU64>,
    /// Records written to the log.
    pub logged: Counter<u64, AtomicU64>,
    /// Calls per group commit.
    pub commit_calls: Histogram,
    /// Requests refused with 503 because the concurrency bound was reached.
    pub shed: Counter<u64, AtomicU64>,
}

impl Metrics {
    /// The metrics, registered under the `mlops_lite_` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("mlops_lite");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabel, Histogram>::new_with_constructor(|| {
            // 50 us to about 13 s.
            Histogram::new(exponential_buckets(0.00005, 2.0, 19))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from a request to its answer, by route",
            latency.clone(),
        );
        let predicted = Counter::default();
        registry.register("records_predicted", "Records predicted", predicted.clone());
        let logged = Counter::default();
        registry.register(
            "records_logged",
            "Records written to the prediction log",
            logged.clone(),
        );
        let commit_calls = Histogram::new(exponential_buckets(1.0, 2.0, 13));
        registry.register(
            "log_commit_calls",
            "Calls written per group commit of the log",
            commit_calls.clone(),
        );
        let shed = Counter::default();
        registry.register(
            "http_requests_shed",
            "Requests answered 503 because the bound on concurrent requests was reached",
            shed.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            predicted,
            logged,
            commit_calls,
            shed,
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
