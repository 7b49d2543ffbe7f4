//! What operators observe of the connector: Prometheus metrics (operations §7) and pino-style
//! JSON logs with the diagnostics policy (operations §8).

pub mod diagnostics;
pub mod logging;
pub mod metrics;
pub mod redact;

pub use diagnostics::Diagnostics;
pub use metrics::{ConnectorMetrics, MetricsError, Outcome, PageOutcome, Phase, TenantMetrics};
