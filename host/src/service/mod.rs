//! The long-running service and the one-shot commands built from the same parts: loading
//! plugins, checking tenants against them, scheduling cycles, serving health and metrics.

pub mod assembly;
pub mod cycles;
pub mod demo;
pub mod once;
pub mod plugins;
pub mod progress;
pub mod reload;
pub mod run;
pub mod scheduler;
pub mod state;
pub mod tenant_check;
pub mod validate;
